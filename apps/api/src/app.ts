import express, { type Express } from 'express';
import { NotFoundError } from '@spool/shared';
import type { ApiDeps } from './deps.js';
import { chain } from './middleware/chain.js';
import { errorHandler } from './middleware/error-handler.js';
import { requestLog } from './middleware/request-log.js';
import { securityAfterBody, securityBeforeBody } from './middleware/security.js';
import { adminRouter } from './routes/admin.js';
import { chatCompletionsRouter } from './routes/chat-completions.js';
import { batchesRouter } from './routes/batches.js';
import { completionsRouter } from './routes/completions.js';
import { docsRouter } from './routes/docs.js';
import { embeddingsRouter } from './routes/embeddings.js';
import { functionsRouter } from './routes/functions.js';
import { filesRouter } from './routes/files.js';
import { healthRouter } from './routes/health.js';
import { jobsRouter } from './routes/jobs.js';
import { metricsRouter } from './routes/metrics.js';
import { modelsRouter } from './routes/models.js';
import { responsesRouter } from './routes/responses.js';

/** The Express app with every route; no `listen()`, so tests can drive it in-process. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Every request runs these; one layer for all of them (see chain.ts).
  app.use(
    chain([
      requestLog(deps),
      ...securityBeforeBody(app, deps),
      express.json({ limit: deps.config.BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
      ...securityAfterBody(deps),
    ]),
  );
  // The generation routes first: they take most of the traffic, and each router passed costs time.
  app.use(chatCompletionsRouter(deps));
  app.use(completionsRouter(deps));
  app.use(responsesRouter(deps));
  app.use(embeddingsRouter(deps));
  app.use(healthRouter(deps));
  app.use(modelsRouter(deps));
  app.use(jobsRouter(deps));
  app.use(docsRouter(deps));
  app.use(metricsRouter(deps));
  app.use(adminRouter(deps));
  app.use(functionsRouter(deps));
  app.use(filesRouter(deps));
  app.use(batchesRouter(deps));
  app.use((req) => {
    throw new NotFoundError(`Unknown route ${req.method} ${req.path}.`, 'unknown_route');
  });
  app.use(errorHandler(deps.logger));
  return app;
}
