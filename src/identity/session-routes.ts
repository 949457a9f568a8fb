import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { UnauthenticatedError } from '../platform/errors.js';
import {
  requireCsrfHeader,
  SESSION_COOKIE_NAME,
  sessionCookie,
} from '../platform/http/request-context.js';
import { commonErrors, isoDateTime } from '../platform/http/schemas.js';
import { userSchema } from './identity-routes.js';
import type { IdentityService } from './identity-service.js';
import type { SessionService } from './session-service.js';

const sessionSchema = z
  .object({ user: userSchema, expires_at: isoDateTime })
  .meta({ id: 'Session' });

/**
 * The dashboard's sign-in: a token in, an HttpOnly cookie out (docs/architecture/dashboard.md).
 * The cookie then authenticates like the token in request-context.ts.
 */
export function registerSessionRoutes(
  app: FastifyInstance,
  deps: {
    database: Database;
    clock: Clock;
    identity: IdentityService;
    sessions: SessionService;
    /** CABINET_PUBLIC_URL: an https address makes the cookie Secure. */
    publicUrl: string;
  },
): void {
  const { database, clock, identity, sessions } = deps;
  const secure = deps.publicUrl.startsWith('https:');
  const cookieOptions = { httpOnly: true, sameSite: 'strict', path: '/', secure } as const;
  const clearCookie = (reply: FastifyReply) =>
    reply.clearCookie(SESSION_COOKIE_NAME, cookieOptions);
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/api/v1/session',
    {
      config: { public: true },
      schema: {
        tags: ['identity'],
        summary: 'Sign in to the dashboard with an API token: sets the session cookie',
        security: [],
        body: z.strictObject({ token: z.string().min(1).max(512) }),
        response: { 200: sessionSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      // Refused exactly as the same token would be as a bearer token.
      const principal = await identity.authenticate(request.body.token);
      request.principal = principal;
      request.ctx = {
        ...request.ctx,
        actorId: principal.user.id,
        roles: principal.user.roles,
      };
      const started = await database.transaction((trx) =>
        sessions.start(trx, request.ctx, principal),
      );
      const seconds = Math.max(
        0,
        Math.floor((Date.parse(started.expires_at) - clock.now().getTime()) / 1000),
      );
      reply.setCookie(SESSION_COOKIE_NAME, started.secret, { ...cookieOptions, maxAge: seconds });
      reply.header('cache-control', 'no-store');
      return { user: principal.user, expires_at: started.expires_at };
    },
  );

  r.get(
    '/api/v1/session',
    {
      config: { action: 'me.read' },
      schema: {
        tags: ['identity'],
        summary: 'The dashboard session this cookie carries (401 when none)',
        response: { 200: sessionSchema, ...commonErrors },
      },
    },
    async (request, reply) => {
      const principal = request.principal!;
      if (!principal.session) {
        throw new UnauthenticatedError(
          'This request carries a bearer token, not a session cookie: there is no session.',
        );
      }
      reply.header('cache-control', 'no-store');
      return { user: principal.user, expires_at: principal.session.expires_at };
    },
  );

  r.delete(
    '/api/v1/session',
    {
      // Public so that a dead session can still be signed out of (the cookie is cleared).
      config: { public: true },
      schema: {
        tags: ['identity'],
        summary: 'Sign out: ends the session and clears its cookie',
        security: [],
        response: { 204: z.null().describe('Signed out'), ...commonErrors },
      },
    },
    async (request, reply) => {
      const secret = sessionCookie(request);
      if (secret !== null) {
        requireCsrfHeader(request);
        await database.transaction((trx) => sessions.end(trx, request.ctx, secret));
      }
      clearCookie(reply);
      return reply.code(204).send(null);
    },
  );
}
