import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp } from './test-app.js';

describe.each(dbKinds)('HTTP platform on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind, { env: { CABINET_MAX_BODY_BYTES: '4096' } });
  });
  afterAll(async () => t.close());

  const createUser = (payload: string | object, headers: Record<string, string> = {}) =>
    t.call({
      method: 'POST',
      url: '/api/v1/users',
      payload,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('answers malformed JSON with problem+json 400', async () => {
    const res = await createUser('{"email": "a@b.c", ');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(res.json().detail).toMatch(/JSON/);
    expect(res.body).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('names each wrong field by its JSON path', async () => {
    const res = await createUser({ email: 42, display_name: '', roles: ['wizard'] });
    expect(res.statusCode).toBe(400);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/email', '/display_name', '/roles/0']));
  });

  it('rejects unknown and server-owned fields instead of ignoring them', async () => {
    const res = await createUser({
      email: 'u@example.org',
      display_name: 'U',
      roles: [],
      id: 'mine',
      status: 'approved',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { path: '/id', message: 'unknown field' },
        { path: '/status', message: 'unknown field' },
      ]),
    );
    const proto = await createUser(
      '{"email":"p@example.org","display_name":"P","roles":[],"__proto__":{"admin":true}}',
    );
    expect(proto.statusCode).toBe(400);
  });

  it('rejects unknown query parameters and bad query values', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/users?limit=0&colour=red' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['querystring:/limit', 'querystring:/colour']),
    );
  });

  it('answers 413 for a body over the configured limit, and 415 for an unknown type', async () => {
    const big = await createUser({
      email: 'b@example.org',
      display_name: 'x'.repeat(5000),
      roles: [],
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().type).toBe('urn:cabinet:problem:payload_too_large');
    const xml = await createUser('<user/>', { 'content-type': 'application/xml' });
    expect(xml.statusCode).toBe(415);
    const empty = await createUser('');
    expect(empty.statusCode).toBe(400);
  });

  it('accepts trailing slashes and answers unknown routes with problem+json 404', async () => {
    const slash = await t.call({ method: 'GET', url: '/api/v1/me/' });
    expect(slash.statusCode).toBe(200);
    const missing = await t.call({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toContain('application/problem+json');
  });

  it('honours a well-formed X-Correlation-Id and generates one otherwise', async () => {
    const given = await t.call({
      method: 'GET',
      url: '/api/v1/me',
      headers: { 'x-correlation-id': 'release-2026.11-abc' },
    });
    expect(given.headers['x-correlation-id']).toBe('release-2026.11-abc');
    const invalid = await t.call({
      method: 'GET',
      url: '/api/v1/me',
      headers: { 'x-correlation-id': 'has spaces and ✗' },
    });
    expect(invalid.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await t.call({ method: 'GET', url: '/api/v1/me', as: null });
    expect(problem.json().correlation_id).toBe(problem.headers['x-correlation-id']);
  });

  it('replays an Idempotency-Key with the same body and refuses it with another', async () => {
    const key = { 'idempotency-key': `k-${kind}-1` };
    const body = { email: 'idem@example.org', display_name: 'Idem', roles: [] };
    const first = await createUser(body, key);
    expect(first.statusCode).toBe(201);
    const replay = await createUser(body, key);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().id).toBe(first.json().id);
    const other = await createUser({ ...body, display_name: 'Other' }, key);
    expect(other.statusCode).toBe(422);
    expect(other.json().reason).toBe('idempotency_key_reused');
    const tooLong = await createUser(body, { 'idempotency-key': 'k'.repeat(256) });
    expect(tooLong.statusCode).toBe(400);

    // Concurrent duplicates: exactly one user is created.
    const raceKey = { 'idempotency-key': `race-${kind}` };
    const raceBody = { email: 'race@example.org', display_name: 'Race', roles: [] };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => createUser(raceBody, raceKey)),
    );
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
  });

  it('serves OpenAPI 3.1, the docs UI, health, readiness, metrics and keys without a token', async () => {
    const openapi = await t.call({ method: 'GET', url: '/api/v1/openapi.json', as: null });
    expect(openapi.statusCode).toBe(200);
    const doc = openapi.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/users', '/api/v1/tokens', '/api/v1/audit/verify']),
    );
    const docs = await t.call({ method: 'GET', url: '/api/v1/docs/', as: null });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
    expect((await t.call({ method: 'GET', url: '/healthz', as: null })).json()).toEqual({
      status: 'ok',
    });
    expect((await t.call({ method: 'GET', url: '/readyz', as: null })).json()).toEqual({
      status: 'ready',
      database: kind,
    });
    const metrics = await t.call({ method: 'GET', url: '/metrics', as: null });
    expect(metrics.body).toContain('cabinet_http_requests_total');
    expect(metrics.body).toContain('cabinet_audit_events_appended');
    const keys = await t.call({ method: 'GET', url: '/api/v1/keys', as: null });
    expect(keys.json().keys[0]).toMatchObject({
      algorithm: 'ed25519',
      key_id: t.container.signingKey.keyId,
    });
  });
});
