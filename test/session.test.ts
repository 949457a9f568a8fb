import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

const COOKIE = 'cabinet_session';

interface SessionBody {
  user: { id: string; email: string; roles: string[] };
  expires_at: string;
}

interface AuditEvent {
  subject: string;
  actor: string;
  data: { user_id?: string; token_id?: string; reason?: string; expires_at?: string };
}

/** The cookie's value from a Set-Cookie header, and the header itself. */
function sessionCookie(setCookie: string | string[] | undefined): {
  value: string;
  header: string;
} {
  const headers = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const header = headers.find((h) => h.startsWith(`${COOKIE}=`));
  if (!header) throw new Error(`no ${COOKIE} cookie in ${JSON.stringify(setCookie)}`);
  return { value: header.slice(COOKIE.length + 1).split(';')[0]!, header };
}

describe.each(dbKinds)('dashboard sessions on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => t.close());

  async function signIn(
    user: TestUser,
  ): Promise<{ value: string; header: string; body: SessionBody }> {
    const response = await t.call({
      method: 'POST',
      url: '/api/v1/session',
      as: null,
      payload: { token: user.token },
    });
    expect(response.statusCode, response.body).toBe(200);
    return { ...sessionCookie(response.headers['set-cookie']), body: response.json<SessionBody>() };
  }

  /** A request authenticated by the session cookie only (no Authorization header). */
  function withCookie(value: string, options: Parameters<TestApp['call']>[0]) {
    return t.call({
      ...options,
      as: null,
      headers: { cookie: `${COOKIE}=${value}`, ...options.headers },
    });
  }

  async function events(type: string, subject?: string) {
    const response = await t.call({
      method: 'GET',
      url: `/api/v1/audit/events?type=${type}&limit=200`,
    });
    expect(response.statusCode, response.body).toBe(200);
    const all = response.json<{ events: AuditEvent[] }>().events;
    return subject ? all.filter((e) => e.subject === subject) : all;
  }

  it('signs in with a token and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const user = await t.user(['submitter']);
    const signed = await signIn(user);
    expect(signed.body.user).toMatchObject({
      id: user.id,
      email: user.email,
      roles: ['submitter'],
    });
    const expected = new Date(t.clock.now().getTime() + 8 * 3_600_000).toISOString();
    expect(signed.body.expires_at).toBe(expected);
    expect(signed.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const attributes = signed.header.split(';').map((a) => a.trim());
    expect(attributes).toContain('HttpOnly');
    expect(attributes).toContain('SameSite=Strict');
    expect(attributes).toContain('Path=/');
    expect(attributes).toContain(`Max-Age=${8 * 3600}`);
    // CABINET_PUBLIC_URL defaults to http://…: no Secure.
    expect(attributes).not.toContain('Secure');
  });

  it('stores only the SHA-256 of the session id', async () => {
    const user = await t.user(['auditor']);
    const signed = await signIn(user);
    const rows = await t.container.database.db
      .selectFrom('sessions')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(signed.value);
    expect(rows[0]).toMatchObject({ user_id: user.id, ended_at: null });
  });

  it('authenticates with the cookie as the token would', async () => {
    const user = await t.user(['submitter']);
    const signed = await signIn(user);
    const me = await withCookie(signed.value, { method: 'GET', url: '/api/v1/me' });
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().user.id).toBe(user.id);
    const byToken = await t.call({ method: 'GET', url: '/api/v1/me', as: user });
    expect(me.json().token_id).toBe(byToken.json().token_id);

    const session = await withCookie(signed.value, { method: 'GET', url: '/api/v1/session' });
    expect(session.statusCode).toBe(200);
    expect(session.json()).toEqual({ user: signed.body.user, expires_at: signed.body.expires_at });

    // Same authorization: a submitter may not list users, by cookie or by token.
    const users = await withCookie(signed.value, { method: 'GET', url: '/api/v1/users' });
    expect(users.statusCode).toBe(403);
  });

  it('answers GET /api/v1/session 401 without a session', async () => {
    const none = await t.call({ method: 'GET', url: '/api/v1/session', as: null });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    const bearer = await t.call({ method: 'GET', url: '/api/v1/session' });
    expect(bearer.statusCode).toBe(401);
    const unknown = await withCookie('x'.repeat(43), { method: 'GET', url: '/api/v1/session' });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().reason).toBe('session_invalid');
  });

  it('refuses a cookie-authenticated change without X-Requested-With: cabinet', async () => {
    const admin = await signIn(t.admin);
    const payload = { email: 'csrf@example.org', display_name: 'CSRF', roles: [] };
    const forged = await withCookie(admin.value, { method: 'POST', url: '/api/v1/users', payload });
    expect(forged.statusCode).toBe(403);
    expect(forged.headers['content-type']).toContain('application/problem+json');
    expect(forged.json().reason).toBe('csrf_header_missing');
    const wrong = await withCookie(admin.value, {
      method: 'POST',
      url: '/api/v1/users',
      payload,
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    expect(wrong.statusCode).toBe(403);

    const made = await withCookie(admin.value, {
      method: 'POST',
      url: '/api/v1/users',
      payload,
      headers: { 'x-requested-with': 'cabinet' },
    });
    expect(made.statusCode, made.body).toBe(201);
    const created = await events('user.created', made.json().id);
    expect(created[0]?.actor).toBe(t.admin.id);

    // Bearer tokens are not concerned.
    const byToken = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'csrf2@example.org', display_name: 'CSRF 2', roles: [] },
    });
    expect(byToken.statusCode).toBe(201);
  });

  it('lets the Authorization header win over the cookie', async () => {
    const user = await t.user(['submitter']);
    const signed = await signIn(user);
    const me = await t.call({
      method: 'GET',
      url: '/api/v1/me',
      headers: { cookie: `${COOKIE}=${signed.value}` },
    });
    expect(me.json().user.id).toBe(t.admin.id);
  });

  it('signs out: ends the session server-side and clears the cookie', async () => {
    const user = await t.user(['submitter']);
    const signed = await signIn(user);
    const forged = await withCookie(signed.value, { method: 'DELETE', url: '/api/v1/session' });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().reason).toBe('csrf_header_missing');

    const out = await withCookie(signed.value, {
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { 'x-requested-with': 'cabinet' },
    });
    expect(out.statusCode).toBe(204);
    const cleared = sessionCookie(out.headers['set-cookie']);
    expect(cleared.value).toBe('');
    expect(cleared.header).toContain('Max-Age=0');

    const after = await withCookie(signed.value, { method: 'GET', url: '/api/v1/me' });
    expect(after.statusCode).toBe(401);
    expect(after.json().reason).toBe('session_ended');

    // Signing out again (or without a cookie) is harmless.
    const again = await withCookie(signed.value, {
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { 'x-requested-with': 'cabinet' },
    });
    expect(again.statusCode).toBe(204);
    const none = await t.call({ method: 'DELETE', url: '/api/v1/session', as: null });
    expect(none.statusCode).toBe(204);
  });

  it('expires absolutely after CABINET_SESSION_HOURS: 401 session_expired', async () => {
    const user = await t.user(['submitter']);
    const signed = await signIn(user);
    t.clock.advance(8 * 3_600_000 - 1_000);
    const still = await withCookie(signed.value, { method: 'GET', url: '/api/v1/me' });
    expect(still.statusCode).toBe(200);
    t.clock.advance(1_000);
    const expired = await withCookie(signed.value, { method: 'GET', url: '/api/v1/me' });
    expect(expired.statusCode).toBe(401);
    expect(expired.headers['content-type']).toContain('application/problem+json');
    expect(expired.json().reason).toBe('session_expired');
    const session = await withCookie(signed.value, { method: 'GET', url: '/api/v1/session' });
    expect(session.json().reason).toBe('session_expired');
  });

  it('ends the session when its token is revoked', async () => {
    const user = await t.user(['submitter']);
    const signed = await signIn(user);
    const tokenId = (await t.call({ method: 'GET', url: '/api/v1/me', as: user })).json().token_id;
    const revoked = await t.call({ method: 'DELETE', url: `/api/v1/tokens/${tokenId}` });
    expect(revoked.statusCode).toBe(200);
    const after = await withCookie(signed.value, { method: 'GET', url: '/api/v1/me' });
    expect(after.statusCode).toBe(401);
    expect(after.json().reason).toBe('session_ended');
    const ended = await events('session.ended');
    expect(ended.find((e) => e.data.token_id === tokenId)?.data).toMatchObject({
      user_id: user.id,
      reason: 'token_revoked',
    });
  });

  it('ends the session when its user is disabled', async () => {
    const user = await t.user(['submitter']);
    const signed = await signIn(user);
    const disabled = await t.call({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      payload: { disabled: true },
    });
    expect(disabled.statusCode).toBe(200);
    const after = await withCookie(signed.value, { method: 'GET', url: '/api/v1/me' });
    expect(after.statusCode).toBe(401);
    expect(after.json().reason).toBe('session_ended');
    const ended = await events('session.ended');
    expect(ended.find((e) => e.data.user_id === user.id)?.data.reason).toBe('user_disabled');
  });

  it('refuses a bad, revoked or expired token at sign-in as a bearer token is refused', async () => {
    const bad = await t.call({
      method: 'POST',
      url: '/api/v1/session',
      as: null,
      payload: { token: 'cab_nope' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.headers['set-cookie']).toBeUndefined();
    const asBearer = await t.call({
      method: 'GET',
      url: '/api/v1/me',
      as: null,
      headers: { authorization: 'Bearer cab_nope' },
    });
    expect(bad.json().detail).toBe(asBearer.json().detail);

    const user = await t.user(['submitter']);
    const tokenId = (await t.call({ method: 'GET', url: '/api/v1/me', as: user })).json().token_id;
    await t.call({ method: 'DELETE', url: `/api/v1/tokens/${tokenId}` });
    const revoked = await t.call({
      method: 'POST',
      url: '/api/v1/session',
      as: null,
      payload: { token: user.token },
    });
    expect(revoked.statusCode).toBe(401);

    const missing = await t.call({ method: 'POST', url: '/api/v1/session', as: null, payload: {} });
    expect(missing.statusCode).toBe(400);
  });

  it('records session.created and session.ended in the audit log', async () => {
    const user = await t.user(['cab_member']);
    const signed = await signIn(user);
    const created = await events('session.created');
    const mine = created.filter((e) => e.data.user_id === user.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ actor: user.id });
    expect(mine[0]!.data.expires_at).toBe(signed.body.expires_at);
    const sessionId = mine[0]!.subject;

    await withCookie(signed.value, {
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { 'x-requested-with': 'cabinet' },
    });
    const ended = await events('session.ended', sessionId);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ actor: user.id, data: { reason: 'signed_out' } });
    expect(JSON.stringify([...created, ...ended])).not.toContain(signed.value);
  });
});

describe('dashboard sessions behind https', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { CABINET_PUBLIC_URL: 'https://cabinet.example.org', CABINET_SESSION_HOURS: '2' },
    });
  });
  afterAll(async () => t.close());

  it('marks the cookie Secure and uses CABINET_SESSION_HOURS', async () => {
    const response = await t.call({
      method: 'POST',
      url: '/api/v1/session',
      as: null,
      payload: { token: t.admin.token },
    });
    expect(response.statusCode).toBe(200);
    const { header } = sessionCookie(response.headers['set-cookie']);
    const attributes = header.split(';').map((a) => a.trim());
    expect(attributes).toContain('Secure');
    expect(attributes).toContain(`Max-Age=${2 * 3600}`);
  });
});
