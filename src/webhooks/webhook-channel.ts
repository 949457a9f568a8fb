import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import type { Channel, DeliveryResult } from '../outbox/channel.js';
import type { OutboxMessage } from '../outbox/outbox-store.js';
import { parseRetryAfter } from '../outbox/retry-schedule.js';
import type { Clock } from '../platform/clock.js';
import { systemContext } from '../platform/context.js';
import type { WebhookService } from './webhook-service.js';
import type { EndpointRecord } from './webhook-store.js';
import { redactUrl } from './webhook-url.js';

/** Standard Webhooks' advice: a receiver that has not answered in 15 s is not going to. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Kept of an answer for the error text; only its first 200 characters are shown. */
const KEEP_BYTES = 4 * 1024;
/** Read (and dropped) past that so the connection can be reused; beyond, the socket goes. */
const DRAIN_BYTES = 64 * 1024;
const ERROR_TEXT_CHARS = 200;
const USER_AGENT = 'cabinet-webhooks/1 (Standard Webhooks 1.0)';

export interface WebhookChannelOptions {
  clock: Clock;
  webhooks: WebhookService;
  /** Whole exchange, connect to last byte read (tests use a few hundred ms). */
  timeoutMs?: number;
  /** Concurrent connections per receiver origin; idle ones are kept and reused. */
  maxSocketsPerOrigin?: number;
}

interface Answer {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  /** The first KEEP_BYTES of the body. */
  head: Buffer;
}

/** A failure before any answer, with the message to record (already flat and redacted). */
class ExchangeError extends Error {
  readonly code: string | undefined;
  readonly reusedSocket: boolean;
  constructor(message: string, code: string | undefined, reusedSocket: boolean) {
    super(message);
    this.code = code;
    this.reusedSocket = reusedSocket;
  }
}

/** One line, no control characters, bounded: for text a receiver chose. */
function flat(text: string, limit = ERROR_TEXT_CHARS): string {
  const line = text.replace(/[\s\p{Cc}]+/gu, ' ').trim();
  return line.length > limit ? `${line.slice(0, limit)}…` : line;
}

/**
 * Delivers webhook messages over HTTP(S) per Standard Webhooks 1.0: the body `{ type,
 * timestamp, data }`, signed with the endpoint's secret (`webhook-id` = the outbox message id,
 * stable across retries, so a receiver dedupes on it). One keep-alive agent per protocol for
 * the process: connections to a receiver are reused across deliveries, which is what makes
 * hundreds of deliveries a second possible without a TCP (and TLS) handshake each.
 */
export class WebhookChannel implements Channel {
  readonly name = 'webhook' as const;
  readonly enabled = true;
  readonly #clock: Clock;
  readonly #webhooks: WebhookService;
  readonly #timeoutMs: number;
  readonly #agents: { http: http.Agent; https: https.Agent };
  /** Endpoint reads in flight: deliveries to one endpoint at once share a single read. */
  readonly #reading = new Map<string, Promise<EndpointRecord | null>>();
  /** Signers by secret: decoding a secret once, not per delivery (bounded: a few endpoints). */
  readonly #signers = new Map<string, Webhook>();

  constructor(options: WebhookChannelOptions) {
    this.#clock = options.clock;
    this.#webhooks = options.webhooks;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSocketsPerOrigin ?? 64,
      maxFreeSockets: options.maxSocketsPerOrigin ?? 64,
      // The most recently used socket first: the others may idle out and close.
      scheduling: 'lifo' as const,
    };
    this.#agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  }

  async deliver(message: OutboxMessage): Promise<DeliveryResult> {
    try {
      return await this.#deliver(message);
    } catch (error) {
      // A bug or a database failure, not the receiver's doing: retried on the schedule.
      return { outcome: 'failed', error: flat(`delivery failed: ${(error as Error).message}`) };
    }
  }

  async onGone(
    message: OutboxMessage,
    result: Extract<DeliveryResult, { outcome: 'gone' }>,
  ): Promise<void> {
    if (!message.endpoint_id) return;
    await this.#webhooks.disableGone(systemContext(message.correlation_id), message.endpoint_id, {
      message_id: message.id,
      status_code: result.statusCode,
    });
  }

  async close(): Promise<void> {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  async #deliver(message: OutboxMessage): Promise<DeliveryResult> {
    const id = message.endpoint_id;
    if (!id) {
      return { outcome: 'failed', permanent: true, error: 'the message names no webhook endpoint' };
    }
    const endpoint = await this.#endpoint(id);
    if (!endpoint) {
      return { outcome: 'failed', permanent: true, error: `endpoint ${id} was not found` };
    }
    if (endpoint.status !== 'active') {
      return {
        outcome: 'failed',
        permanent: true,
        error: `endpoint ${id} is ${endpoint.status}${endpoint.disabled_reason ? ` (${flat(endpoint.disabled_reason)})` : ''}`,
      };
    }
    const body = JSON.stringify({
      type: message.event_type,
      // When the event happened, not when this attempt runs: the body is the same on every retry.
      timestamp: message.created_at,
      data: message.payload,
    });
    const now = this.#clock.now();
    const headers = {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      'webhook-id': message.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': this.#signer(endpoint.secret).sign(message.id, now, body),
    };
    const url = new URL(endpoint.url);
    let answer: Answer;
    try {
      answer = await this.#post(url, headers, body).catch((error: unknown) => {
        // A kept-alive connection the receiver closed just as we reused it: the request almost
        // surely never reached it, so one immediate retry is Node's advice (and should it have
        // arrived, the receiver dedupes on webhook-id, as after any retry).
        if (error instanceof ExchangeError && error.reusedSocket && error.code === 'ECONNRESET') {
          return this.#post(url, headers, body);
        }
        throw error;
      });
    } catch (error) {
      const text = error instanceof ExchangeError ? error.message : flat(String(error));
      return { outcome: 'failed', error: scrub(text, url) };
    }
    return this.#classify(answer, url);
  }

  #signer(secret: string): Webhook {
    let signer = this.#signers.get(secret);
    if (!signer) {
      if (this.#signers.size >= 1_000) this.#signers.clear();
      signer = new Webhook(secret);
      this.#signers.set(secret, signer);
    }
    return signer;
  }

  /**
   * The endpoint as it stands now. Not cached: a disabled or deleted endpoint must stop
   * receiving at once, on every instance. Concurrent deliveries to it share one read (a batch
   * of 64 to one receiver costs one query, not 64), which is no staler than any single read.
   */
  #endpoint(id: string): Promise<EndpointRecord | null> {
    let reading = this.#reading.get(id);
    if (!reading) {
      reading = this.#webhooks.forDelivery(id).finally(() => this.#reading.delete(id));
      this.#reading.set(id, reading);
    }
    return reading;
  }

  #classify(answer: Answer, url: URL): DeliveryResult {
    const { statusCode } = answer;
    if (statusCode >= 200 && statusCode < 300) return { outcome: 'delivered', statusCode };
    const text = flat(answer.head.toString('utf8'));
    const described = scrub(
      text === '' ? `HTTP ${statusCode}` : `HTTP ${statusCode}: ${text}`,
      url,
    );
    if (statusCode === 410) return { outcome: 'gone', statusCode, error: described };
    if (statusCode >= 300 && statusCode < 400) {
      const location = answer.headers.location;
      return {
        outcome: 'failed',
        statusCode,
        error: scrub(
          `HTTP ${statusCode}: redirects are not followed${location ? ` (Location: ${flat(redactUrl(location), 120)})` : ''}`,
          url,
        ),
      };
    }
    const retryAfter = answer.headers['retry-after'];
    return {
      outcome: 'failed',
      statusCode,
      error: described,
      retryAfterMs: parseRetryAfter(
        Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
        this.#clock.now(),
      ),
    };
  }

  /**
   * One POST: resolves with the status, headers and the start of the body once the answer
   * ended, was cut off, grew past DRAIN_BYTES, or the time ran out after its status line
   * came (the status is what counts); rejects with a flat, credential-free message when
   * no answer came at all. Redirects are never followed (node:http does not).
   */
  #post(url: URL, headers: Record<string, string>, body: string): Promise<Answer> {
    const secure = url.protocol === 'https:';
    const host = url.host;
    const timeoutMs = this.#timeoutMs;
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      let answer: { statusCode: number; headers: http.IncomingHttpHeaders } | null = null;
      const kept: Buffer[] = [];
      let keptBytes = 0;
      let readBytes = 0;
      const finish = (error: ExchangeError | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (answer) resolve({ ...answer, head: Buffer.concat(kept) });
        else reject(error ?? new ExchangeError(`no answer from ${host}`, undefined, false));
      };
      const request = (secure ? https : http).request({
        protocol: url.protocol,
        // node:http wants an IPv6 literal without its brackets.
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        // Credentials in the URL become Basic authentication, as curl would send them.
        ...(url.username || url.password ? { auth: userinfo(url) } : {}),
        agent: secure ? this.#agents.https : this.#agents.http,
      });
      const timer = setTimeout(() => {
        finish(
          new ExchangeError(
            `no answer from ${host} within ${seconds(timeoutMs)}`,
            'TIMEOUT',
            false,
          ),
        );
        request.destroy();
      }, timeoutMs);
      request.on('response', (response) => {
        answer = { statusCode: response.statusCode ?? 0, headers: response.headers };
        response.on('data', (chunk: Buffer) => {
          readBytes += chunk.length;
          if (keptBytes < KEEP_BYTES) {
            const part = chunk.subarray(0, KEEP_BYTES - keptBytes);
            kept.push(part);
            keptBytes += part.length;
          }
          if (readBytes > DRAIN_BYTES) {
            finish(null);
            response.destroy();
          }
        });
        response.on('end', () => finish(null));
        response.on('error', () => finish(null));
        response.on('close', () => finish(null));
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        finish(
          new ExchangeError(describeNetworkError(error, url), error.code, request.reusedSocket),
        );
      });
      request.end(body);
    });
  }
}

/** A percent-encoded URL part as text; a malformed escape stays as written. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** `user:password` as Basic authentication carries it. */
function userinfo(url: URL): string {
  return `${decoded(url.username)}:${decoded(url.password)}`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** What went wrong before an answer, in words, naming the host (never the credentials). */
function describeNetworkError(error: NodeJS.ErrnoException, url: URL): string {
  const host = url.host;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `connection refused by ${host}`;
    case 'ECONNRESET':
      return `connection reset by ${host} before it answered`;
    case 'EPIPE':
      return `connection closed by ${host} while sending`;
    case 'ETIMEDOUT':
      return `connecting to ${host} timed out`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host ${url.hostname} not found (DNS)`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host ${host} unreachable`;
  }
  if (error.code?.startsWith('ERR_TLS') || error.code?.includes('CERT')) {
    return `TLS with ${host} failed: ${flat(error.code ?? error.message)}`;
  }
  return `request to ${host} failed: ${flat(error.message)}`;
}

/**
 * Takes the URL's credentials out of a message, should a receiver (or an error) echo them:
 * the outbox shows last_error to auditors, who must not learn a receiver's password.
 */
function scrub(text: string, url: URL): string {
  let out = text;
  for (const secret of [url.password, decoded(url.password)]) {
    if (secret.length >= 3) out = out.split(secret).join('***');
  }
  if (url.username || url.password) {
    const basic = Buffer.from(userinfo(url)).toString('base64');
    out = out.split(basic).join('***');
  }
  return out;
}
