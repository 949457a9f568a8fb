import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../clock.js';
import { canonicalDigest } from '../crypto/canonical-json.js';
import type { Database, Trx } from '../db/database.js';
import { isUniqueViolation } from '../db/database.js';
import { BadRequestError, UnprocessableError } from '../errors.js';

const MAX_KEY_LENGTH = 255;

interface StoredResponse {
  request_hash: string;
  status_code: number;
  response_body: string;
}

/**
 * Runs a creating POST in one transaction, honouring `Idempotency-Key`: the first response
 * is stored in that same transaction, so a replay (same caller, key and body) answers it
 * again and a concurrent duplicate loses on the primary key instead of creating twice.
 */
export async function createOnce<T>(
  { database, clock }: { database: Database; clock: Clock },
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  work: (trx: Trx) => Promise<T>,
): Promise<T> {
  const key = request.headers['idempotency-key'];
  if (key === undefined) {
    const result = await database.transaction(work);
    reply.code(status);
    return result;
  }
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new BadRequestError(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters.`, [
      { path: 'header:idempotency-key', message: 'invalid length' },
    ]);
  }
  const caller = request.ctx.actorId;
  const requestHash = canonicalDigest({
    method: request.method,
    url: request.url,
    body: request.body ?? null,
  });
  const replay = async (): Promise<T | undefined> => {
    const stored = await find(database, caller, key);
    if (!stored) return undefined;
    if (stored.request_hash !== requestHash) {
      throw new UnprocessableError(
        'This Idempotency-Key was already used with a different request.',
        [{ path: 'header:idempotency-key', message: 'reused with another body' }],
        'idempotency_key_reused',
      );
    }
    reply.code(stored.status_code).header('idempotent-replayed', 'true');
    return JSON.parse(stored.response_body) as T;
  };

  const previous = await replay();
  if (previous !== undefined) return previous;
  try {
    const result = await database.transaction(async (trx) => {
      // Claim the key before doing the work: a concurrent duplicate blocks on this row and
      // then fails on the primary key, instead of racing the work itself.
      await trx
        .insertInto('idempotency_keys')
        .values({
          caller,
          idempotency_key: key,
          request_hash: requestHash,
          status_code: 0,
          response_body: '',
          created_at: clock.now().toISOString(),
        })
        .execute();
      const value = await work(trx);
      await trx
        .updateTable('idempotency_keys')
        .set({ status_code: status, response_body: JSON.stringify(value) })
        .where('caller', '=', caller)
        .where('idempotency_key', '=', key)
        .execute();
      return value;
    });
    reply.code(status);
    return result;
  } catch (error) {
    if (isUniqueViolation(error)) {
      const winner = await replay();
      if (winner !== undefined) return winner;
    }
    throw error;
  }
}

async function find(
  database: Database,
  caller: string,
  key: string,
): Promise<StoredResponse | undefined> {
  return database.db
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'status_code', 'response_body'])
    .where('caller', '=', caller)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

/** Keys are kept at least 24 hours; the sweep removes those older than `olderThan`. */
export async function pruneIdempotencyKeys(database: Database, olderThan: Date): Promise<number> {
  const result = await database.db
    .deleteFrom('idempotency_keys')
    .where('created_at', '<', olderThan.toISOString())
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
