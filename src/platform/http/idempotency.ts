import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type UploadSource, uploadBody } from '../../blobs/upload-body.js';
import type { Clock } from '../clock.js';
import { canonicalDigest } from '../crypto/canonical-json.js';
import type { Database, Executor, Trx } from '../db/database.js';
import { isUniqueViolation } from '../db/database.js';
import { type OnUniqueViolation, onUniqueViolation } from '../db/unique-retry.js';
import { BadRequestError, ConflictError, UnprocessableError } from '../errors.js';
import { uploadSource } from './raw-body.js';

const MAX_KEY_LENGTH = 255;

/** A claimed key whose work has not finished yet (only createOnceAround leaves one visible). */
const PENDING = 0;
/** How often, and how long, a duplicate waits for the claim it lost to be answered. */
const WAIT_POLL_MS = 20;
const WAIT_LIMIT_MS = 60_000;

interface StoredResponse {
  request_hash: string;
  status_code: number;
  response_body: string;
}

/** What a creating route answers: stored as it is, so a replay answers it again. */
export interface OnceResponse<R> {
  status: number;
  body: R;
}

/** The validated Idempotency-Key header, or undefined when the client sent none. */
function idempotencyKey(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new BadRequestError(`Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} characters.`, [
      { path: 'header:idempotency-key', message: 'invalid length' },
    ]);
  }
  return key;
}

/** The request as the key was first used with: method, URL (with its query) and body. */
function fingerprint(request: FastifyRequest, body: unknown): string {
  return canonicalDigest({ method: request.method, url: request.url, body });
}

/** The stored answer again, or 422 when the key came with another request. */
function replayed<T>(reply: FastifyReply, stored: StoredResponse, requestHash: string): T {
  if (stored.request_hash !== requestHash) {
    throw new UnprocessableError(
      'This Idempotency-Key was already used with a different request.',
      [{ path: 'header:idempotency-key', message: 'reused with another body' }],
      'idempotency_key_reused',
    );
  }
  reply.code(stored.status_code).header('idempotent-replayed', 'true');
  return JSON.parse(stored.response_body) as T;
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
  const key = idempotencyKey(request);
  if (key === undefined) {
    const result = await database.transaction(work);
    reply.code(status);
    return result;
  }
  const caller = request.ctx.actorId;
  const requestHash = fingerprint(request, request.body ?? null);
  const replay = async (): Promise<T | undefined> => {
    const stored = await find(database, caller, key);
    return stored ? replayed<T>(reply, stored, requestHash) : undefined;
  };

  const previous = await replay();
  if (previous !== undefined) return previous;
  try {
    const result = await database.transaction(async (trx) => {
      // Claim the key before doing the work: a concurrent duplicate blocks on this row and
      // then fails on the primary key, instead of racing the work itself.
      await insertClaim(trx, clock, caller, key, requestHash);
      const value = await work(trx);
      await storeAnswer(trx, caller, key, requestHash, { status, body: value });
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

/** The body of a request as createOnceAround sees it: handed to the work, then fingerprinted. */
interface OnceBody {
  source: UploadSource;
  /** The request's fingerprint; reads (and drops) whatever of the body the work left unread. */
  fingerprint(): Promise<string>;
  /** Gives the raw stream back, so a refusal's unread remainder can still be drained. */
  release(): void;
}

/**
 * A raw-body upload, hashed as it streams by: the fingerprint is the SHA-256 of the bytes on
 * the wire (with the method and the URL, so the query string counts), known once the work
 * has read them, without buffering a byte more than the work itself does.
 */
function hashedUpload(request: FastifyRequest, limit: number): OnceBody {
  const raw = uploadSource(request);
  const hash = createHash('sha256');
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const finished = new Promise<void>((resolve, reject) => {
    tee.once('finish', resolve);
    tee.once('error', reject);
  });
  // Nobody may be waiting on `finished` when the work fails: the work reports that error.
  finished.catch(() => undefined);
  raw.stream.on('error', (error) => tee.destroy(error));
  raw.stream.pipe(tee);
  const source: UploadSource = { ...raw, stream: tee };
  return {
    source,
    async fingerprint() {
      if (!tee.writableFinished) {
        // The same limits as the work's own reading: a duplicate is no way around them.
        for await (const _chunk of uploadBody({ ...source, contentEncoding: undefined }, limit)) {
          // dropped: only its hash counts
        }
      }
      await finished;
      return fingerprint(request, { sha256: hash.digest('hex') });
    },
    release() {
      raw.stream.unpipe(tee);
    },
  };
}

function parsedBody(request: FastifyRequest): OnceBody {
  return {
    source: uploadSource(request),
    fingerprint: async () => fingerprint(request, request.body ?? null),
    release: () => undefined,
  };
}

/**
 * A creating route whose work starts outside any transaction (reading, hashing and parsing
 * an upload) and ends in the transaction the route owns. `receive` runs first, with no
 * transaction open; `store` runs in the transaction, whose answer is what the route sends;
 * `release` runs once the transaction has committed or failed (or `receive` has succeeded
 * and anything after it failed), to drop what `receive` left behind.
 */
export interface AroundWork<P, R> {
  receive(source: UploadSource): Promise<P>;
  store(trx: Trx, received: P): Promise<OnceResponse<R>>;
  release?(received: P, committed: boolean): Promise<void>;
  /** What a unique-key violation of the transaction becomes (see onUniqueViolation). */
  onUniqueViolation?: OnUniqueViolation;
}

/**
 * Runs a creating route's work (see AroundWork) honouring `Idempotency-Key`, for work that
 * reads and parses an upload before its transaction (evidence, artifacts) or decides inside
 * it whether anything is new (pack generation). The key is claimed in a statement of its own
 * before the work, and the answer stored in the work's own transaction: a duplicate
 * (concurrent or later) waits for that answer and replays it (or 422 for another body), so
 * the effect happens once, and a committed effect always has its answer. Failed work frees
 * the key again.
 */
export async function createOnceAround<P, R>(
  deps: { database: Database; clock: Clock; config: { maxUploadBytes: number } },
  request: FastifyRequest,
  reply: FastifyReply,
  options: { rawBody: boolean },
  work: AroundWork<P, R>,
): Promise<R> {
  const { database, clock } = deps;
  const key = idempotencyKey(request);
  const transaction = (inTrx: (trx: Trx) => Promise<OnceResponse<R>>) => {
    const run = () => database.transaction(inTrx);
    return work.onUniqueViolation ? onUniqueViolation(run, work.onUniqueViolation) : run();
  };
  if (key === undefined) {
    const response = await runAround(
      work,
      uploadSource(request),
      async () => undefined,
      (store) => transaction(store),
    );
    reply.code(response.status);
    return response.body;
  }
  const caller = request.ctx.actorId;
  const body = options.rawBody
    ? hashedUpload(request, deps.config.maxUploadBytes)
    : parsedBody(request);
  try {
    await insertClaim(database.db, clock, caller, key, '');
  } catch (error) {
    if (!isUniqueViolation(error)) {
      body.release();
      throw error;
    }
    // A duplicate: its own body is read (and hashed) before the winner's answer is compared.
    let requestHash: string;
    try {
      requestHash = await body.fingerprint();
    } catch (refused) {
      body.release();
      throw refused;
    }
    return replayed<R>(reply, await awaitAnswer(database, caller, key), requestHash);
  }
  let response: OnceResponse<R>;
  try {
    response = await runAround(work, body.source, body.fingerprint, (store, requestHash) =>
      transaction(async (trx) => {
        const answer = await store(trx);
        await storeAnswer(trx, caller, key, requestHash, answer);
        return answer;
      }),
    );
  } catch (error) {
    body.release();
    await database.db
      .deleteFrom('idempotency_keys')
      .where('caller', '=', caller)
      .where('idempotency_key', '=', key)
      .where('status_code', '=', PENDING)
      .execute();
    throw error;
  }
  reply.code(response.status);
  return response.body;
}

/**
 * receive, then (with the body fully read: its fingerprint is known) the transaction around
 * store, then release whatever happened after receive.
 */
async function runAround<P, R, H>(
  work: AroundWork<P, R>,
  source: UploadSource,
  fingerprint: () => Promise<H>,
  commit: (
    store: (trx: Trx) => Promise<OnceResponse<R>>,
    requestHash: H,
  ) => Promise<OnceResponse<R>>,
): Promise<OnceResponse<R>> {
  const received = await work.receive(source);
  let committed = false;
  try {
    const requestHash = await fingerprint();
    const response = await commit((trx) => work.store(trx, received), requestHash);
    committed = true;
    return response;
  } finally {
    await work.release?.(received, committed);
  }
}

/** The answer of the request that holds the key, once it has one. */
async function awaitAnswer(
  database: Database,
  caller: string,
  key: string,
): Promise<StoredResponse> {
  for (let waited = 0; waited < WAIT_LIMIT_MS; waited += WAIT_POLL_MS) {
    const stored = await find(database, caller, key);
    if (!stored) {
      throw new ConflictError(
        'The first request with this Idempotency-Key failed; send the request again.',
        'idempotency_key_released',
      );
    }
    if (stored.status_code !== PENDING) return stored;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
  throw new ConflictError(
    'A request with this Idempotency-Key is still being processed; retry later.',
    'idempotency_key_in_progress',
  );
}

async function insertClaim(
  db: Executor,
  clock: Clock,
  caller: string,
  key: string,
  requestHash: string,
): Promise<void> {
  await db
    .insertInto('idempotency_keys')
    .values({
      caller,
      idempotency_key: key,
      request_hash: requestHash,
      status_code: PENDING,
      response_body: '',
      created_at: clock.now().toISOString(),
    })
    .execute();
}

async function storeAnswer(
  db: Executor,
  caller: string,
  key: string,
  requestHash: string,
  response: OnceResponse<unknown>,
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({
      request_hash: requestHash,
      status_code: response.status,
      response_body: JSON.stringify(response.body),
    })
    .where('caller', '=', caller)
    .where('idempotency_key', '=', key)
    .execute();
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
