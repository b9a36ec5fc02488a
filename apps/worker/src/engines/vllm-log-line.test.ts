import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@spool/shared';
import { logLine } from './vllm-process.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', level: 'debug', destination }) };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("vLLM's output in Spool's log", () => {
  it("strips vLLM 0.10+'s (APIServer pid=N) prefix so each line logs at its own level", async () => {
    const { lines, logger } = capture();
    logLine(logger, '(APIServer pid=4242) ERROR 11-30 12:00:00 [core.py:1] CUDA out of memory');
    logLine(logger, '(EngineCore_DP0 pid=4243) WARNING 11-30 12:00:00 [gpu.py:2] slow');
    logLine(logger, 'INFO 11-30 12:00:00 [api_server.py:1] an older vLLM without the prefix');
    await flush();
    expect(lines.map((line) => line.level)).toEqual([50, 40, 30]);
    expect(lines[0]).toMatchObject({ vllmProcess: 'APIServer', vllmPid: 4242, msg: 'ERROR 11-30 12:00:00 [core.py:1] CUDA out of memory' });
    expect(lines[1]).toMatchObject({ vllmProcess: 'EngineCore_DP0' });
  });

  it('redacts the API key from what vLLM prints and from the fields Spool logs', async () => {
    const { lines, logger } = capture();
    logLine(logger, "(APIServer pid=1) INFO 11-30 12:00:00 [utils.py:1] non-default args: {'api_key': 'sk-vllm-secret'}", ['sk-vllm-secret']);
    logger.info({ options: { apiKey: 'sk-vllm-secret' }, env: { VLLM_API_KEY: 'sk-vllm-secret' } }, 'starting');
    await flush();
    expect(JSON.stringify(lines)).not.toContain('sk-vllm-secret');
    expect(lines[0]!.msg).toContain('[redacted]');
  });
});
