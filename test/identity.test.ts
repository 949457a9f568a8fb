import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp } from './test-app.js';

describe.each(dbKinds)('identity on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(kind);
  });
  afterAll(async () => t.close());

  it('bootstraps exactly one admin whose token works', async () => {
    const me = await t.call({ method: 'GET', url: '/api/v1/me' });
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ email: 'admin@localhost', roles: ['admin'] });
    const again = await t.container.identity.bootstrapAdmin({
      actorId: 'system',
      roles: [],
      correlationId: null,
    });
    expect(again).toBeNull();
  });

  it('creates, lists, reads and updates users', async () => {
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'Ann@Example.org', display_name: 'Ann', roles: ['submitter', 'submitter'] },
    });
    expect(created.statusCode).toBe(201);
    const ann = created.json();
    expect(ann).toMatchObject({ email: 'ann@example.org', roles: ['submitter'], disabled: false });

    const duplicate = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      payload: { email: 'ann@example.org', display_name: 'Ann 2', roles: [] },
    });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.headers['content-type']).toContain('application/problem+json');

    const one = await t.call({ method: 'GET', url: `/api/v1/users/${ann.id}` });
    expect(one.json().email).toBe('ann@example.org');
    const missing = await t.call({ method: 'GET', url: '/api/v1/users/nope' });
    expect(missing.statusCode).toBe(404);

    const patched = await t.call({
      method: 'PATCH',
      url: `/api/v1/users/${ann.id}`,
      payload: { roles: ['cab_member', 'auditor'], display_name: 'Ann B' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      roles: ['auditor', 'cab_member'],
      display_name: 'Ann B',
    });

    const empty = await t.call({ method: 'PATCH', url: `/api/v1/users/${ann.id}`, payload: {} });
    expect(empty.statusCode).toBe(400);
    const absent = await t.call({
      method: 'PATCH',
      url: '/api/v1/users/nope',
      payload: { disabled: true },
    });
    expect(absent.statusCode).toBe(404);

    const page1 = await t.call({ method: 'GET', url: '/api/v1/users?limit=1' });
    expect(page1.json().users).toHaveLength(1);
    const cursor = page1.json().next_cursor as string;
    expect(cursor).toBeTruthy();
    const page2 = await t.call({ method: 'GET', url: `/api/v1/users?limit=1&cursor=${cursor}` });
    expect(page2.json().users[0].id).not.toBe(page1.json().users[0].id);
    const all = await t.call({ method: 'GET', url: '/api/v1/users?limit=500' });
    expect(all.json().next_cursor).toBeNull();
  });

  it('refuses to let an admin lock themselves out', async () => {
    const self = await t.call({
      method: 'PATCH',
      url: `/api/v1/users/${t.admin.id}`,
      payload: { disabled: true },
    });
    expect(self.statusCode).toBe(422);
    expect(self.json().reason).toBe('self_lockout');
  });

  it('issues tokens once, hashed, with expiry, revocation and last use', async () => {
    const bob = await t.user(['submitter']);
    const own = await t.call({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'laptop', expires_in_days: 1 },
      as: bob,
    });
    expect(own.statusCode).toBe(201);
    const issued = own.json();
    expect(issued.token).toMatch(/^cab_[A-Za-z0-9_-]{43}$/);
    expect(issued.user_id).toBe(bob.id);

    // The secret is never stored: only its SHA-256.
    const rows = await t.container.database.db.selectFrom('api_tokens').selectAll().execute();
    expect(rows.some((r) => JSON.stringify(r).includes(issued.token))).toBe(false);

    const forOther = await t.call({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'x', user_id: t.admin.id },
      as: bob,
    });
    expect(forOther.statusCode).toBe(403);

    const mine = await t.call({ method: 'GET', url: '/api/v1/tokens', as: bob });
    expect(mine.json().tokens.every((k: { user_id: string }) => k.user_id === bob.id)).toBe(true);
    expect(mine.json().tokens[0]).not.toHaveProperty('token');
    expect(mine.json().tokens.some((k: { last_used_at: string | null }) => k.last_used_at)).toBe(
      true,
    );

    const laptop = { ...bob, token: issued.token };
    t.clock.advance(86_400_000 + 1);
    const expired = await t.call({ method: 'GET', url: '/api/v1/me', as: laptop });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().detail).toContain('expired');
    t.clock.advance(-(86_400_000 + 1));

    const revoked = await t.call({ method: 'DELETE', url: `/api/v1/tokens/${issued.id}`, as: bob });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().status).toBe('revoked');
    const again = await t.call({ method: 'DELETE', url: `/api/v1/tokens/${issued.id}`, as: bob });
    expect(again.json().status).toBe('revoked');
    const after = await t.call({ method: 'GET', url: '/api/v1/me', as: laptop });
    expect(after.statusCode).toBe(401);
    expect(after.json().detail).toContain('revoked');

    // Another user's token is not found, not forbidden.
    const adminTokens = await t.call({
      method: 'GET',
      url: `/api/v1/tokens?user_id=${t.admin.id}`,
    });
    const adminTokenId = adminTokens.json().tokens[0].id;
    const steal = await t.call({
      method: 'DELETE',
      url: `/api/v1/tokens/${adminTokenId}`,
      as: bob,
    });
    expect(steal.statusCode).toBe(404);
  });

  it('revokes a user’s tokens when disabling them, for good: re-enabling revives none', async () => {
    const dave = await t.user(['submitter']);
    const second = await t.call({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { name: 'second' },
      as: dave,
    });
    expect(second.statusCode).toBe(201);
    const patch = (disabled: boolean) =>
      t.call({ method: 'PATCH', url: `/api/v1/users/${dave.id}`, payload: { disabled } });
    expect((await patch(true)).statusCode).toBe(200);
    const tokens = await t.call({ method: 'GET', url: `/api/v1/tokens?user_id=${dave.id}` });
    const listed = tokens.json().tokens as { id: string; status: string }[];
    expect(listed.length).toBeGreaterThanOrEqual(2);
    expect(listed.every((token) => token.status === 'revoked')).toBe(true);
    const events = await t.container.database.db
      .selectFrom('audit_events')
      .select(['subject', 'data'])
      .where('event_type', '=', 'token.revoked')
      .where(
        'subject',
        'in',
        listed.map((token) => token.id),
      )
      .execute();
    expect(events).toHaveLength(listed.length);
    for (const event of events) {
      expect(JSON.parse(event.data)).toMatchObject({ user_id: dave.id, reason: 'user_disabled' });
    }

    expect((await patch(false)).statusCode).toBe(200);
    for (const secret of [dave.token, second.json().token as string]) {
      const me = await t.call({
        method: 'GET',
        url: '/api/v1/me',
        as: null,
        headers: { authorization: `Bearer ${secret}` },
      });
      expect(me.statusCode).toBe(401);
      expect(me.json().detail).toContain('revoked');
    }
    // Disabling again revokes nothing twice.
    expect((await patch(true)).statusCode).toBe(200);
    const again = await t.container.database.db
      .selectFrom('audit_events')
      .select('id')
      .where('event_type', '=', 'token.revoked')
      .where(
        'subject',
        'in',
        listed.map((token) => token.id),
      )
      .execute();
    expect(again).toHaveLength(listed.length);
  });

  it('lets an admin issue and revoke tokens for others, not for disabled users', async () => {
    const carol = await t.user(['auditor']);
    const issued = await t.call({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { user_id: carol.id, name: 'ci' },
    });
    expect(issued.statusCode).toBe(201);
    const revoke = await t.call({ method: 'DELETE', url: `/api/v1/tokens/${issued.json().id}` });
    expect(revoke.statusCode).toBe(200);
    const listAll = await t.call({ method: 'GET', url: '/api/v1/tokens?limit=1' });
    expect(listAll.json().next_cursor).not.toBeNull();
    const page2 = await t.call({
      method: 'GET',
      url: `/api/v1/tokens?limit=1&cursor=${listAll.json().next_cursor}`,
    });
    expect(page2.statusCode).toBe(200);

    await t.call({
      method: 'PATCH',
      url: `/api/v1/users/${carol.id}`,
      payload: { disabled: true },
    });
    const disabled = await t.call({ method: 'GET', url: '/api/v1/me', as: carol });
    expect(disabled.statusCode).toBe(401);
    expect(disabled.json().detail).toContain('disabled');
    const forDisabled = await t.call({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { user_id: carol.id, name: 'x' },
    });
    expect(forDisabled.statusCode).toBe(422);
    const forNobody = await t.call({
      method: 'POST',
      url: '/api/v1/tokens',
      payload: { user_id: 'nobody', name: 'x' },
    });
    expect(forNobody.statusCode).toBe(404);
  });

  it('answers 401 without or with a malformed token', async () => {
    const none = await t.call({ method: 'GET', url: '/api/v1/me', as: null });
    expect(none.statusCode).toBe(401);
    expect(none.json().detail).toContain('bearer token is required');
    const basic = await t.call({
      method: 'GET',
      url: '/api/v1/me',
      as: null,
      headers: { authorization: 'Basic abc' },
    });
    expect(basic.statusCode).toBe(401);
    expect(basic.json().detail).toContain('Bearer <token>');
    const wrong = await t.call({
      method: 'GET',
      url: '/api/v1/me',
      as: null,
      headers: { authorization: 'Bearer cab_wrong' },
    });
    expect(wrong.statusCode).toBe(401);
  });
});
