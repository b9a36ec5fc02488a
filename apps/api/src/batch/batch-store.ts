import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { batchRedisNames, NotFoundError, runScript, type BatchEndpoint, type BatchLineError, type BatchStatus, type Config } from '@spool/shared';

/** A batch's state as kept in one Redis hash (timestamps in unix seconds, as OpenAI's). */
export interface BatchRecord {
  id: string;
  owner: string;
  status: BatchStatus;
  endpoint: BatchEndpoint;
  input_file_id: string;
  completion_window: string;
  created_at: number;
  expires_at: number;
  in_progress_at?: number;
  finalizing_at?: number;
  completed_at?: number;
  failed_at?: number;
  expired_at?: number;
  cancelling_at?: number;
  cancelled_at?: number;
  output_file_id?: string;
  error_file_id?: string;
  errors?: BatchLineError[];
  metadata: Record<string, string> | null;
  total: number;
  completed: number;
  failed: number;
  /** Canonical ids of the models the lines use (internal: sizes the lines in flight). */
  models?: string[];
  /** The creating token's `models` claim (internal): lines may use only these. */
  allowed_models?: string[];
}

const TIMESTAMPS = [
  'created_at',
  'expires_at',
  'in_progress_at',
  'finalizing_at',
  'completed_at',
  'failed_at',
  'expired_at',
  'cancelling_at',
  'cancelled_at',
] as const;

/** The OpenAI `batch` object. */
export function batchObject(batch: BatchRecord) {
  return {
    id: batch.id,
    object: 'batch' as const,
    endpoint: batch.endpoint,
    errors: batch.errors ? { object: 'list', data: batch.errors } : null,
    input_file_id: batch.input_file_id,
    completion_window: batch.completion_window,
    status: batch.status,
    output_file_id: batch.output_file_id ?? null,
    error_file_id: batch.error_file_id ?? null,
    ...Object.fromEntries(TIMESTAMPS.map((name) => [name, batch[name] ?? null])),
    request_counts: { total: batch.total, completed: batch.completed, failed: batch.failed },
    metadata: batch.metadata,
  };
}

/** Where a batch keeps its files while it runs (its sidecar, its partial results); removed once it ends. */
export const batchDirectory = (config: Config, batchId: string) => join(config.SPOOL_DATA_DIR, 'batches', batchId);

/**
 * A batch as created, with the deployment's Redis prefix, kept in its directory until it ends: what
 * the start-up reconcile rebuilds a lost Redis record from (see batch/reconcile-batches.ts).
 */
export type BatchSidecar = BatchRecord & { prefix: string };
export const batchSidecarPath = (directory: string) => join(directory, 'batch.json');

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Sets the status only when the current one is among `from`, so a cancel and a coordinator never overwrite each other. */
const TRANSITION = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return 0 end
for allowed in string.gmatch(ARGV[1], '[^,]+') do
  if allowed == status then
    redis.call('HSET', KEYS[1], 'status', ARGV[2])
    for index = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[index], ARGV[index + 1]) end
    return 1
  end
end
return 0`;

type Fields = Partial<Omit<BatchRecord, 'id' | 'owner' | 'status'>>;

function encode(fields: Fields): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}

function decode(hash: Record<string, string>): BatchRecord {
  const numbers = ['total', 'completed', 'failed', ...TIMESTAMPS];
  const record: Record<string, unknown> = { ...hash };
  for (const name of numbers) if (hash[name] !== undefined) record[name] = Number(hash[name]);
  record.metadata = hash.metadata ? JSON.parse(hash.metadata) : null;
  record.errors = hash.errors ? JSON.parse(hash.errors) : undefined;
  record.models = hash.models ? JSON.parse(hash.models) : undefined;
  record.allowed_models = hash.allowed_models ? JSON.parse(hash.allowed_models) : undefined;
  return record as unknown as BatchRecord;
}

export type BatchStore = ReturnType<typeof createBatchStore>;

export function createBatchStore(redis: Redis, config: Config) {
  const names = batchRedisNames(config.REDIS_PREFIX);
  return {
    async create(
      owner: string,
      input: { endpoint: BatchEndpoint; input_file_id: string; completion_window: string; metadata: Record<string, string> | null; allowed_models?: string[] },
    ): Promise<BatchRecord> {
      const created = nowSeconds();
      const batch: BatchRecord = {
        id: `batch_${randomUUID().replaceAll('-', '')}`,
        owner,
        status: 'validating',
        ...input,
        created_at: created,
        expires_at: created + 24 * 3600,
        total: 0,
        completed: 0,
        failed: 0,
      };
      await redis
        .multi()
        .hset(names.batch(batch.id), { id: batch.id, owner, status: batch.status, ...encode(batch) })
        .zadd(names.batchesOf(owner), Date.now(), batch.id)
        .exec();
      const directory = batchDirectory(config, batch.id);
      await mkdir(directory, { recursive: true });
      const sidecar: BatchSidecar = { ...batch, prefix: config.REDIS_PREFIX };
      const scratch = join(directory, `.batch.json.${randomUUID().slice(0, 8)}.tmp`);
      await writeFile(scratch, JSON.stringify(sidecar));
      await rename(scratch, batchSidecarPath(directory));
      return batch;
    },
    /** Writes a lost batch's record back (and its place in the owner's list). */
    async restore(batch: BatchRecord): Promise<void> {
      await redis
        .multi()
        .hset(names.batch(batch.id), { id: batch.id, owner: batch.owner, status: batch.status, ...encode(batch) })
        .zadd(names.batchesOf(batch.owner), batch.created_at * 1000, batch.id)
        .exec();
    },
    /** The batch, if it exists and (with an owner) belongs to that owner; else a 404. */
    async get(id: string, owner?: string): Promise<BatchRecord> {
      const hash = await redis.hgetall(names.batch(id));
      if (!hash.id || (owner !== undefined && hash.owner !== owner)) throw new NotFoundError(`No batch found with id '${id}'.`, 'batch_not_found', 'batch_id');
      return decode(hash);
    },
    /** The fields a running batch watches: its status (a cancel) and its deadline. */
    async watch(id: string): Promise<{ status: BatchStatus | null; expiresAt: number }> {
      const [status, expiresAt] = await redis.hmget(names.batch(id), 'status', 'expires_at');
      return { status: status as BatchStatus | null, expiresAt: Number(expiresAt) };
    },
    /** Newest first, after the batch `after`. */
    async list(owner: string, after: string | undefined, limit: number): Promise<{ batches: BatchRecord[]; hasMore: boolean }> {
      const key = names.batchesOf(owner);
      const rank = after ? await redis.zrevrank(key, after) : null;
      const start = rank === null ? 0 : rank + 1;
      const ids = await redis.zrevrange(key, start, start + limit);
      const batches = await Promise.all(ids.slice(0, limit).map((id) => this.get(id)));
      return { batches, hasMore: ids.length > limit };
    },
    async transition(id: string, from: BatchStatus[], to: BatchStatus, fields: Fields = {}): Promise<boolean> {
      const args = Object.entries(encode(fields)).flat();
      return (await runScript(redis, TRANSITION, 1, names.batch(id), from.join(','), to, ...args)) === 1;
    },
    async update(id: string, fields: Fields): Promise<void> {
      await redis.hset(names.batch(id), encode(fields));
    },
    async count(id: string, completed: number, failed: number): Promise<void> {
      const multi = redis.multi();
      if (completed) multi.hincrby(names.batch(id), 'completed', completed);
      if (failed) multi.hincrby(names.batch(id), 'failed', failed);
      await multi.exec();
    },
  };
}
