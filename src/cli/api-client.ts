import { Readable } from 'node:stream';
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

export interface ApiRequest {
  query?: Record<string, string | undefined>;
  json?: unknown;
  /** A streamed body (uploads); `length` lets the server refuse an oversized one at once. */
  stream?: { body: Readable; length?: number; contentType?: string };
}

export interface ApiClient {
  readonly baseUrl: string;
  call<T = unknown>(method: string, path: string, request?: ApiRequest): Promise<T>;
}

/** The workflow commands talk to a running server: CABINET_URL and CABINET_TOKEN. */
export function apiClientFromEnv(
  env: NodeJS.ProcessEnv,
  fetchImpl: typeof fetch = fetch,
): ApiClient {
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
      let body: string | ReadableStream<Uint8Array> | undefined;
      if (request.json !== undefined) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(request.json);
      } else if (request.stream) {
        headers['content-type'] = request.stream.contentType ?? 'application/octet-stream';
        if (request.stream.length !== undefined) {
          headers['content-length'] = String(request.stream.length);
        }
        body = Readable.toWeb(request.stream.body) as ReadableStream<Uint8Array>;
      }
      let response: Response;
      try {
        response = await fetchImpl(url, {
          method,
          headers,
          body,
          ...(request.stream ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (error) {
        throw new Error(`cannot reach ${baseUrl}: ${(error as Error).message}`, { cause: error });
      }
      const text = await response.text();
      const parsed: unknown = text === '' ? null : safeJson(text);
      if (!response.ok) {
        const problem = (parsed ?? {}) as { detail?: string; errors?: ProblemDetail[] };
        throw new ApiError(response.status, problem.detail ?? text, problem.errors ?? []);
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
