import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileStore } from '../files/file-store.js';
import type { BatchRecord } from './batch-store.js';
import { readLines } from './input-lines.js';
import { partialPaths } from './result-log.js';

/** File ids derived from the batch, so a finalize that is re-run after a crash rewrites the same files. */
const derivedFileId = (batchId: string, kind: string) => `file-${createHash('sha256').update(`${batchId}:${kind}`).digest('hex').slice(0, 24)}`;

/** Copies a partial file's lines whose custom_id is not yet in `seen`; returns how many it wrote. */
async function dedupe(from: string, to: string, seen: Set<string>): Promise<number> {
  let written = 0;
  if (
    !(await stat(from).then(
      () => true,
      () => false,
    ))
  )
    return 0;
  await pipeline(
    readLines(createReadStream(from)),
    new Transform({
      objectMode: true,
      transform({ text }: { text: string }, _encoding, callback) {
        let customId: string;
        try {
          customId = (JSON.parse(text) as { custom_id: string }).custom_id;
        } catch {
          return callback();
        }
        if (seen.has(customId)) return callback();
        seen.add(customId);
        written += 1;
        callback(null, `${text}\n`);
      },
    }),
    createWriteStream(to),
  );
  return written;
}

export interface Finalized {
  completed: number;
  failed: number;
  output_file_id?: string;
  error_file_id?: string;
}

/**
 * Turns the partial files into the batch's output and error files: each custom_id once (answers win
 * over errors), streamed line by line, stored as `batch_output` files of the batch's owner.
 */
export async function finalizeFiles(files: FileStore, batch: BatchRecord, directory: string): Promise<Finalized> {
  const paths = partialPaths(directory);
  const seen = new Set<string>();
  const outputTmp = await files.scratchPath(`${batch.id}-output`);
  const errorsTmp = await files.scratchPath(`${batch.id}-errors`);
  const completed = await dedupe(paths.output, outputTmp, seen);
  const failed = await dedupe(paths.errors, errorsTmp, seen);
  const result: Finalized = { completed, failed };
  if (completed > 0)
    result.output_file_id = (await files.adopt(batch.owner, `${batch.id}_output.jsonl`, 'batch_output', outputTmp, derivedFileId(batch.id, 'output'))).id;
  if (failed > 0)
    result.error_file_id = (await files.adopt(batch.owner, `${batch.id}_error.jsonl`, 'batch_output', errorsTmp, derivedFileId(batch.id, 'errors'))).id;
  await files.discard(outputTmp, errorsTmp);
  return result;
}
