import { it } from 'vitest';
import { createLogger } from '@spool/shared';
import { chatLines, jsonl, uploadBatchFile } from '../helpers/batch-files.js';
import { MODEL, startInProcessWorker, startSpool } from '../helpers/spool-harness.js';
it('dbg', async () => {
  const spool = await startSpool({ SPOOL_DATA_DIR: `/tmp/spool-dbg` });
  const worker = await startInProcessWorker(spool.config);
  await spool.waitForWorkers(1);
  const file = await uploadBatchFile(spool.client, jsonl(chatLines(3, { model: MODEL, maxTokens: 8 })));
  const b = await spool.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
  for (let i = 0; i < 25; i++) { await new Promise(r => setTimeout(r, 200)); const x = await spool.client.batches.retrieve(b.id); console.log(x.status, x.request_counts); if (x.status==='completed') break; }
  await worker.close(); await spool.close();
});
