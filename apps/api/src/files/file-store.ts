import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Redis } from 'ioredis';
import { batchRedisNames, InvalidRequestError, NotFoundError, type Config } from '@spool/shared';

export type FilePurpose = 'batch' | 'batch_output';

/** A stored file's metadata, as kept in Redis. */
export interface StoredFile {
  id: string;
  owner: string;
  filename: string;
  purpose: FilePurpose;
  bytes: number;
  /** Lines of text (a last line without a newline counts). */
  lines: number;
  createdAt: number;
  path: string;
}

/** The OpenAI `file` object of a stored file. */
export const fileObject = (file: StoredFile) => ({
  id: file.id,
  object: 'file' as const,
  bytes: file.bytes,
  created_at: Math.floor(file.createdAt / 1000),
  filename: file.filename,
  purpose: file.purpose,
  status: 'processed' as const,
  status_details: null,
});

export interface FileStore {
  /** Streams an upload to disk, counting bytes and lines against the limits, then records it. */
  save(owner: string, filename: string, purpose: FilePurpose, source: Readable): Promise<StoredFile>;
  /** Writes a file's record again (its sidecar and Redis): the start-up reconcile restores a lost record with it. */
  restore(file: StoredFile): Promise<StoredFile>;
  /** Records a file already written at `path` (moved into the store). */
  adopt(owner: string, filename: string, purpose: FilePurpose, path: string, id?: string): Promise<StoredFile>;
  /** The file, if it exists and (with an owner) belongs to that owner; else a 404. */
  get(id: string, owner?: string): Promise<StoredFile>;
  list(owner: string, options: { after?: string; limit: number; purpose?: string; order: 'asc' | 'desc' }): Promise<{ files: StoredFile[]; hasMore: boolean }>;
  remove(id: string, owner: string): Promise<void>;
  read(file: StoredFile): Readable;
  /** A fresh path in the store's directory for a file being written. */
  scratchPath(name: string): Promise<string>;
  /** Removes scratch files that were not adopted. */
  discard(...paths: string[]): Promise<void>;
}

/**
 * A stored file's metadata beside its bytes (`<id>.json`), with the deployment's Redis prefix: what
 * the start-up reconcile rebuilds the Redis record from after Redis lost it.
 */
export type FileSidecar = StoredFile & { prefix: string };
export const fileSidecarPath = (path: string) => `${path}.json`;

export const newFileId = () => `file-${randomUUID().replaceAll('-', '').slice(0, 24)}`;

/** Counts bytes and lines as they pass, failing the stream once either limit is passed. */
function limitCounter(maxBytes: number, maxLines: number) {
  const counts = { bytes: 0, newlines: 0, lastByte: 10 };
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counts.bytes += chunk.length;
      for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) counts.newlines += 1;
      if (chunk.length > 0) counts.lastByte = chunk[chunk.length - 1]!;
      if (counts.bytes > maxBytes) {
        return callback(new InvalidRequestError(`The file is larger than the limit of ${maxBytes} bytes.`, 'file', 'file_too_large', 413));
      }
      if (counts.newlines > maxLines) {
        return callback(new InvalidRequestError(`The file has more than the limit of ${maxLines} lines.`, 'file', 'too_many_lines', 413));
      }
      callback(null, chunk);
    },
  });
  const lines = () => counts.newlines + (counts.bytes > 0 && counts.lastByte !== 10 ? 1 : 0);
  return { transform, counts, lines };
}

export function createFileStore(redis: Redis, config: Config): FileStore {
  const names = batchRedisNames(config.REDIS_PREFIX);
  const directory = join(config.SPOOL_DATA_DIR, 'files');
  const ready = mkdir(directory, { recursive: true });

  async function record(file: StoredFile): Promise<StoredFile> {
    // Written whole, then renamed, so a crash never leaves a torn sidecar; before Redis, so a record never lacks one.
    const sidecar: FileSidecar = { ...file, prefix: config.REDIS_PREFIX };
    const scratch = join(directory, `.${file.id}.json.${randomUUID().slice(0, 8)}.tmp`);
    await writeFile(scratch, JSON.stringify(sidecar));
    await rename(scratch, fileSidecarPath(file.path));
    await redis
      .multi()
      .hset(names.file(file.id), { ...file })
      .zadd(names.filesOf(file.owner), file.createdAt, file.id)
      .exec();
    return file;
  }

  async function load(id: string): Promise<StoredFile | undefined> {
    const fields = await redis.hgetall(names.file(id));
    if (!fields.id) return undefined;
    return { ...(fields as unknown as StoredFile), bytes: Number(fields.bytes), lines: Number(fields.lines), createdAt: Number(fields.createdAt) };
  }

  return {
    async save(owner, filename, purpose, source) {
      await ready;
      const id = newFileId();
      const path = join(directory, id);
      const counter = limitCounter(config.FILES_MAX_BYTES, config.BATCH_MAX_LINES);
      try {
        await pipeline(source, counter.transform, createWriteStream(path));
      } catch (error) {
        await rm(path, { force: true });
        throw error;
      }
      return record({ id, owner, filename, purpose, bytes: counter.counts.bytes, lines: counter.lines(), createdAt: Date.now(), path });
    },
    async adopt(owner, filename, purpose, from, id = newFileId()) {
      await ready;
      const path = join(directory, id);
      await rename(from, path);
      const { size } = await stat(path);
      const counter = limitCounter(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
      // A sink that only drains the stream: pipeline wants a generator as its last stage.
      // oxlint-disable-next-line require-yield
      await pipeline(createReadStream(path), counter.transform, async function* (chunks) {
        for await (const _ of chunks);
      });
      return record({ id, owner, filename, purpose, bytes: size, lines: counter.lines(), createdAt: Date.now(), path });
    },
    restore: record,
    async get(id, owner) {
      const file = await load(id);
      if (!file || (owner !== undefined && file.owner !== owner)) throw new NotFoundError(`No such File object: ${id}`, 'file_not_found', 'file_id');
      return file;
    },
    async list(owner, { after, limit, purpose, order }) {
      const key = names.filesOf(owner);
      let start = 0;
      if (after) {
        const rank = order === 'desc' ? await redis.zrevrank(key, after) : await redis.zrank(key, after);
        start = rank === null ? 0 : rank + 1;
      }
      const ids = order === 'desc' ? await redis.zrevrange(key, start, -1) : await redis.zrange(key, String(start), '-1');
      const files: StoredFile[] = [];
      // Filtering by purpose happens here, so read ids in pages until the page is full.
      for (let index = 0; index < ids.length && files.length <= limit; index += 100) {
        const page = await Promise.all(ids.slice(index, index + 100).map(load));
        for (const file of page) if (file && (!purpose || file.purpose === purpose)) files.push(file);
      }
      return { files: files.slice(0, limit), hasMore: files.length > limit };
    },
    async remove(id, owner) {
      const file = await this.get(id, owner);
      // The sidecar goes first: a crash part-way leaves bytes without metadata, which the reconcile removes.
      await rm(fileSidecarPath(file.path), { force: true });
      await redis.multi().del(names.file(id)).zrem(names.filesOf(file.owner), id).exec();
      await rm(file.path, { force: true });
    },
    read: (file) => createReadStream(file.path),
    async scratchPath(name) {
      await ready;
      return join(directory, `.${name}.${randomUUID().slice(0, 8)}.tmp`);
    },
    async discard(...paths) {
      await Promise.all(paths.map((path) => rm(path, { force: true })));
    },
  };
}
