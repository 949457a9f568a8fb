import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components };

export type Problem = components['schemas']['Problem'];
export type CabRequest = components['schemas']['CabRequest'];
export type CabRequestSummary = components['schemas']['CabRequestSummary'];
export type CabGate = components['schemas']['CabGate'];

/** A refusal from the API, carrying its problem+json (title, detail, reason). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Partial<Problem>;

  constructor(status: number, problem: Partial<Problem>) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }

  get reason(): string | undefined {
    return this.problem.reason;
  }
}

type UnauthorizedListener = (reason: string | undefined, detail: string | undefined) => void;
let onUnauthorized: UnauthorizedListener = () => undefined;

/** Who to tell when any call answers 401 (the app returns to the sign-in screen). */
export function setUnauthorizedListener(listener: UnauthorizedListener): void {
  onUnauthorized = listener;
}

const SESSION_PATH = '/api/v1/session';

const unauthorized: Middleware = {
  async onResponse({ request, response }) {
    const path = new URL(request.url).pathname;
    // A refused sign-in is the sign-in screen's own error, not a lost session.
    if (response.status === 401 && !(path === SESSION_PATH && request.method === 'POST')) {
      const problem = (await response
        .clone()
        .json()
        .catch(() => ({}))) as Partial<Problem>;
      onUnauthorized(problem.reason, problem.detail);
    }
    return response;
  },
};

/**
 * Every call goes through this client: same-origin cookies, and the header the server
 * requires on cookie-authenticated writes (its CSRF defence).
 */
export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? '',
  credentials: 'same-origin',
  headers: { 'X-Requested-With': 'cabinet' },
});
api.use(unauthorized);

/** Unwraps an openapi-fetch result: the data, or an ApiError with the problem. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(result.response.status, (result.error ?? {}) as Partial<Problem>);
  }
  return result.data as T;
}
