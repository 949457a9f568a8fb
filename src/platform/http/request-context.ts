import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Action, authorize } from '../../identity/authorization.js';
import type { Principal } from '../../identity/identity-service.js';
import type { Context } from '../context.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission this route needs (see identity/authorization.ts). */
    action?: Action;
    /** Reachable without a token. */
    public?: boolean;
  }
  interface FastifyRequest {
    ctx: Context;
    principal: Principal | null;
  }
}

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface Authenticator {
  authenticate(token: string): Promise<Principal>;
}

/** Resolves the dashboard's session cookie (identity/session-service.ts). */
export interface SessionAuthenticator {
  authenticate(sessionId: string): Promise<Principal>;
}

/** The dashboard's session cookie (see docs/architecture/dashboard.md). */
export const SESSION_COOKIE_NAME = 'cabinet_session';
/** The header a cookie-authenticated change must carry: a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_HEADER_VALUE = 'cabinet';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Per request: a correlation id (the caller's `X-Correlation-Id` when well-formed, else a new
 * one) in the logs, the response and the audit events; then authentication and the route's
 * permission check, before the body is even validated.
 */
export function installRequestContext(
  app: FastifyInstance,
  identity: Authenticator,
  sessions?: SessionAuthenticator,
): void {
  app.decorateRequest('ctx', null as unknown as Context);
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request, reply) => {
    const given = request.headers['x-correlation-id'];
    const correlationId =
      typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    reply.header('x-correlation-id', correlationId);
    request.log = request.log.child({ correlation_id: correlationId });
    request.ctx = { actorId: 'anonymous', roles: [], correlationId };

    const config = request.routeOptions.config;
    if (config.public || !request.url.startsWith('/api/') || isDocs(request.url)) return;

    // The one seam: a bearer token when there is an Authorization header, else the session
    // cookie; both give the same Principal and go through the same authorization.
    const sessionId = request.headers.authorization ? null : sessionCookie(request);
    const principal =
      sessionId !== null && sessions
        ? await sessions.authenticate(sessionId)
        : await identity.authenticate(bearerToken(request));
    request.principal = principal;
    request.ctx = { actorId: principal.user.id, roles: principal.user.roles, correlationId };
    if (sessionId !== null) requireCsrfHeader(request);
    if (config.action) authorize(request.ctx, config.action);
  });
}

/** The docs UI (a plugin's routes) is as public as the OpenAPI document it shows. */
function isDocs(url: string): boolean {
  return (
    url === '/api/v1/docs' || url.startsWith('/api/v1/docs/') || url.startsWith('/api/v1/docs?')
  );
}

/** The `cabinet_session` cookie's value, or null when the request carries none. */
export function sessionCookie(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0 || pair.slice(0, at).trim() !== SESSION_COOKIE_NAME) continue;
    const value = pair.slice(at + 1).trim();
    return value.length > 0 ? value : null;
  }
  return null;
}

/**
 * CSRF: besides SameSite=Strict, a change made with the session cookie must carry
 * `X-Requested-With: cabinet`, which a cross-site form or image cannot send. Bearer-token
 * requests carry no ambient credential and are not concerned.
 */
export function requireCsrfHeader(request: FastifyRequest): void {
  if (!MUTATING.has(request.method)) return;
  if (request.headers[CSRF_HEADER] === CSRF_HEADER_VALUE) return;
  throw new ForbiddenError(
    `A change made with the session cookie needs the header X-Requested-With: ${CSRF_HEADER_VALUE}.`,
    'csrf_header_missing',
  );
}

function bearerToken(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new UnauthenticatedError(
      header
        ? 'The Authorization header must be "Bearer <token>".'
        : 'A bearer token is required (Authorization: Bearer <token>).',
    );
  }
  return match[1];
}

/** How long one source's anonymous refusals share a summary event. */
export const ANONYMOUS_WINDOW_MS = 60_000;
/** Sources tracked at once; beyond it finished windows go, then (a spread flood) all. */
const MAX_SOURCES = 10_000;

interface SourceWindow {
  startedAt: number;
  refused: number;
}

/**
 * Refusals of requests without a valid token (no principal) are counted per source IP in
 * memory instead of each writing an audit row: an anonymous flood must not grow the
 * append-only log without bound. The first refusal of a source's window says so (and
 * carries the count of that source's previous window), so the log still shows who knocked.
 */
export class AnonymousRefusals {
  readonly #windows = new Map<string, SourceWindow>();
  readonly #now: () => number;
  readonly #byStatus = new Map<number, number>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * Counts one refusal from `source`. Returns what the summary event should say when this
   * refusal opens a new window, or null when the open window already has its event.
   */
  note(
    source: string,
    status: number,
  ): {
    refused: number;
    previous: { started_at: string; refused: number } | null;
  } | null {
    this.#byStatus.set(status, (this.#byStatus.get(status) ?? 0) + 1);
    const now = this.#now();
    const open = this.#windows.get(source);
    if (open && now - open.startedAt < ANONYMOUS_WINDOW_MS) {
      open.refused += 1;
      return null;
    }
    if (!open && this.#windows.size >= MAX_SOURCES) this.#forgetFinished(now);
    this.#windows.set(source, { startedAt: now, refused: 1 });
    return {
      refused: 1,
      previous: open
        ? { started_at: new Date(open.startedAt).toISOString(), refused: open.refused }
        : null,
    };
  }

  /** Every refusal this process counted, by status: the metric beside the summary events. */
  totals(): ReadonlyMap<number, number> {
    return this.#byStatus;
  }

  /** Refusals counted in `source`'s current window (for the log line). */
  count(source: string): number {
    return this.#windows.get(source)?.refused ?? 0;
  }

  #forgetFinished(now: number): void {
    for (const [source, window] of this.#windows) {
      if (now - window.startedAt >= ANONYMOUS_WINDOW_MS) this.#windows.delete(source);
    }
    if (this.#windows.size >= MAX_SOURCES) this.#windows.clear();
  }
}
