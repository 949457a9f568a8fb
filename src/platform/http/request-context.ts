import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Action, authorize } from '../../identity/authorization.js';
import type { Principal } from '../../identity/identity-service.js';
import type { Context } from '../context.js';
import { UnauthenticatedError } from '../errors.js';

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

/**
 * Per request: a correlation id (the caller's `X-Correlation-Id` when well-formed, else a new
 * one) in the logs, the response and the audit events; then authentication and the route's
 * permission check, before the body is even validated.
 */
export function installRequestContext(app: FastifyInstance, identity: Authenticator): void {
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

    const principal = await identity.authenticate(bearerToken(request));
    request.principal = principal;
    request.ctx = { actorId: principal.user.id, roles: principal.user.roles, correlationId };
    if (config.action) authorize(request.ctx, config.action);
  });
}

/** The docs UI (a plugin's routes) is as public as the OpenAPI document it shows. */
function isDocs(url: string): boolean {
  return (
    url === '/api/v1/docs' || url.startsWith('/api/v1/docs/') || url.startsWith('/api/v1/docs?')
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
