export { createApp } from './app.js';
export { startApi, type RunningApi } from './server.js';
export type { ApiDeps } from './deps.js';
export { mintToken, type TokenRequest } from './auth/mint-token.js';
export { checkAuthConfig } from './middleware/security.js';
export { describeRoute, describeMount } from './openapi/registry.js';
