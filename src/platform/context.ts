/**
 * Who is acting and under which correlation id. Built once per request (or CLI command)
 * and passed to services, which stay free of HTTP.
 */
export interface Context {
  /** A user id, or `system` / `anonymous` / `cli`. */
  actorId: string;
  roles: readonly string[];
  correlationId: string | null;
}

export const systemContext = (correlationId: string | null = null): Context => ({
  actorId: 'system',
  roles: [],
  correlationId,
});
