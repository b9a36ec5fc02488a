import { runScript, type ScriptRunner } from './redis-script.js';
import type { RedisNames } from './jobs.js';

/**
 * The queued-token counter of a model is the sum of one reservation per queued job (a hash, job id
 * to `tokens:sinceMs`), changed only by these scripts, so each job counts once however often it is
 * added, and its tokens come off once however often it is started, removed or reconciled.
 *
 * - admit: before a job is added. Counts nothing for a job BullMQ already holds (its add would be
 *   dropped) or one already reserved; with a cap, refuses a job that does not fit.
 * - release: when a worker starts the job, or it is removed before it started.
 * - reconcile: recomputes the counter from the queue itself (see QUEUED_TOKENS_RECONCILE_MS).
 */
export const QUEUED_TOKENS_LUA = {
  /** KEYS: counter, reservations, job hash. ARGV: job id, tokens, cap (-1: none). Returns the new total, -1 (already counted) or -2 (refused). */
  admit: `
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local now = redis.call('TIME')
local since = now[1] * 1000 + math.floor(now[2] / 1000)
local held = redis.call('HGET', KEYS[2], ARGV[1])
if held then
  -- An add that has not landed yet (or died on the way): this one takes its reservation over.
  redis.call('HSET', KEYS[2], ARGV[1], string.match(held, '^%d+') .. ':' .. since)
  return -1
end
local tokens = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
if cap >= 0 and tonumber(redis.call('GET', KEYS[1]) or '0') + tokens > cap then return -2 end
redis.call('HSET', KEYS[2], ARGV[1], tokens .. ':' .. since)
return redis.call('INCRBY', KEYS[1], tokens)`,

  /** KEYS: counter, reservations. ARGV: job id. Returns the tokens released (0: none were held). */
  release: `
local held = redis.call('HGET', KEYS[2], ARGV[1])
if not held then return 0 end
redis.call('HDEL', KEYS[2], ARGV[1])
local tokens = tonumber(string.match(held, '^%d+'))
if redis.call('DECRBY', KEYS[1], tokens) < 0 then redis.call('SET', KEYS[1], 0) end
return tokens`,

  /**
   * KEYS: counter, reservations, and the queue's wait, paused, prioritized and delayed keys.
   * ARGV: the queue's job key prefix, grace ms. Returns {counter before, counter after, reservations
   * dropped, queued jobs adopted}.
   */
  reconcile: `
local now = redis.call('TIME')
local nowMs = now[1] * 1000 + math.floor(now[2] / 1000)
local flat = redis.call('HGETALL', KEYS[2])
local held = {}
for index = 1, #flat, 2 do held[flat[index]] = flat[index + 1] end
local counted = {}
local total, dropped, adopted = 0, 0, 0
local function count(id)
  if counted[id] then return end
  local jobKey = ARGV[1] .. id
  -- A job that started once is no longer queued work: its worker released it then.
  if redis.call('HEXISTS', jobKey, 'processedOn') == 1 then return end
  local tokens
  if held[id] then
    tokens = tonumber(string.match(held[id], '^%d+'))
  else
    local data = redis.call('HGET', jobKey, 'data')
    if not data then return end
    local ok, job = pcall(cjson.decode, data)
    tokens = (ok and type(job) == 'table' and tonumber(job.reservedTokens)) or 0
    redis.call('HSET', KEYS[2], id, tokens .. ':' .. nowMs)
    adopted = adopted + 1
  end
  counted[id] = true
  total = total + tokens
end
for _, id in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do count(id) end
for _, id in ipairs(redis.call('LRANGE', KEYS[4], 0, -1)) do count(id) end
for _, id in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do count(id) end
for _, id in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do count(id) end
for id, value in pairs(held) do
  if not counted[id] then
    local since = tonumber(string.match(value, ':(%d+)$')) or 0
    -- A young reservation belongs to an add still on its way to the queue.
    if nowMs - since < tonumber(ARGV[2]) then
      total = total + tonumber(string.match(value, '^%d+'))
    else
      redis.call('HDEL', KEYS[2], id)
      dropped = dropped + 1
    end
  end
end
local before = tonumber(redis.call('GET', KEYS[1]) or '0')
redis.call('SET', KEYS[1], total)
return {before, total, dropped, adopted}`,
};

/** Takes a job's tokens off its model's counter, once: a worker calls it when it starts the job. */
export async function releaseQueuedTokens(redis: ScriptRunner, names: RedisNames, model: string, jobId: string): Promise<number> {
  return Number(await runScript(redis, QUEUED_TOKENS_LUA.release, 2, names.queuedTokens(model), names.queuedTokenReservations(model), jobId));
}
