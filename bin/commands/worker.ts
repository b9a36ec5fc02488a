import { runWorkerProcess } from '@spool/worker';

export async function run(argv: string[]): Promise<void> {
  await runWorkerProcess(argv);
}
