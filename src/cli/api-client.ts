import type { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { BadRequestError, DomainError, type ProblemDetail } from '../platform/errors.js';

/** An error answer from the server, carried to the CLI's one-line report. */
export class ApiError extends DomainError {
  constructor(
    readonly status: number,
    detail: string,
    errors: ProblemDetail[],
  ) {
    super('bad_request', `${status}: ${detail}`, { errors });
  }
}

/** No answer at all: the server is down, unreachable, or the call was aborted (timed out). */
export class ApiUnreachableError extends Error {
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ApiUnreachableError';
  }
}

export interface ApiRequest {
  query?: Record<string, string | undefined>;
  json?: unknown;
  /** A streamed body (uploads); `length` lets the server refuse an oversized one at once. */
  stream?: { body: Readable; length?: number; contentType?: string };
  /** Aborts the call (e.g. `AbortSignal.timeout(ms)`); it then fails as ApiUnreachableError. */
  signal?: AbortSignal;
}

export interface ApiClient {
  readonly baseUrl: string;
  call<T = unknown>(method: string, path: string, request?: ApiRequest): Promise<T>;
}

const IDLE_TIMEOUT_MS = 300_000;

/** What came back: the status, the Location of a redirect, and the body as text. */
interface Answer {
  status: number;
  location: string | null;
  text: string;
}

/**
 * A call without a streamed body, over node:http(s). Not fetch: the first fetch in a process
 * costs ~90 ms of start-up (it loads undici), more than the rest of `cabinet gate` together.
 * Redirects are not followed (fetch would, dropping the token across origins): a 3xx is an
 * error naming where the server points.
 */
async function plainCall(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal | undefined,
): Promise<Answer> {
  const { request } =
    url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers:
          body === undefined
            ? headers
            : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(signal ? { signal } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('close', () => {
          if (!res.complete) reject(new Error('the connection closed before the answer ended'));
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location ?? null,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    // As fetch would (undici's 300 s header and body timeouts): a silent server is an error.
    req.setTimeout(IDLE_TIMEOUT_MS, () =>
      req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A streamed upload over fetch, which sends a Node stream as the body without buffering it. */
async function streamCall(
  fetchImpl: typeof fetch,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: ReadableStream<Uint8Array> | string | undefined,
  signal: AbortSignal | undefined,
  duplex: boolean,
): Promise<Answer> {
  const response = await fetchImpl(url, {
    method,
    headers,
    body,
    ...(duplex ? { duplex: 'half' } : {}),
    ...(signal ? { signal } : {}),
  } as RequestInit);
  return {
    status: response.status,
    location: response.headers.get('location'),
    text: await response.text(),
  };
}

/**
 * The workflow commands talk to a running server: CABINET_URL and CABINET_TOKEN. Plain calls
 * go over node:http(s) and streamed uploads over fetch, unless `fetchImpl` is given: then it
 * carries every call.
 */
export function apiClientFromEnv(env: NodeJS.ProcessEnv, fetchImpl?: typeof fetch): ApiClient {
  const baseUrl = (env.CABINET_URL ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
  const token = env.CABINET_TOKEN;
  if (!token) {
    throw new BadRequestError(
      'CABINET_TOKEN is not set: export the bearer token this command should act with.',
    );
  }
  return {
    baseUrl,
    async call<T>(method: string, path: string, request: ApiRequest = {}): Promise<T> {
      const url = new URL(`${baseUrl}${path}`);
      for (const [key, value] of Object.entries(request.query ?? {})) {
        if (value !== undefined) url.searchParams.set(key, value);
      }
      const headers: Record<string, string> = { authorization: `Bearer ${token}` };
      let answer: Answer;
      try {
        if (request.stream) {
          headers['content-type'] = request.stream.contentType ?? 'application/octet-stream';
          if (request.stream.length !== undefined) {
            headers['content-length'] = String(request.stream.length);
          }
          const { Readable } = await import('node:stream');
          const body = Readable.toWeb(request.stream.body) as ReadableStream<Uint8Array>;
          answer = await streamCall(
            fetchImpl ?? fetch,
            url,
            method,
            headers,
            body,
            request.signal,
            true,
          );
        } else {
          let body: string | undefined;
          if (request.json !== undefined) {
            headers['content-type'] = 'application/json';
            body = JSON.stringify(request.json);
          }
          answer = fetchImpl
            ? await streamCall(fetchImpl, url, method, headers, body, request.signal, false)
            : await plainCall(url, method, headers, body, request.signal);
        }
      } catch (error) {
        throw new ApiUnreachableError(`cannot reach ${baseUrl}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const { status, location, text } = answer;
      const parsed: unknown = text === '' ? null : safeJson(text);
      if (status >= 300 && status < 400) {
        throw new ApiError(
          status,
          `the server redirects to ${location ?? '(no location)'}: set CABINET_URL to the API's own address`,
          [],
        );
      }
      if (status < 200 || status >= 300) {
        const problem = (parsed ?? {}) as { detail?: string; errors?: ProblemDetail[] };
        throw new ApiError(status, problem.detail ?? text, problem.errors ?? []);
      }
      return parsed as T;
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
