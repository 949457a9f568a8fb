import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../src/outbox/outbox-store.js';
import { systemContext } from '../src/platform/context.js';
import { WebhookChannel } from '../src/webhooks/webhook-channel.js';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON answers by path, checked by expect.
type Json = Record<string, any>;

const ALL_EVENTS = ['deployment.authorized', 'deployment.denied', 'cab.request.superseded'];

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The client's port: one per connection, so reuse shows as repeats. */
  remotePort: number;
}

/**
 * A real HTTP receiver on loopback whose answer depends on the path, recording every
 * request it gets (a `/hang` request is recorded and never answered).
 */
async function startReceiver() {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        remotePort: req.socket.remotePort ?? 0,
      });
      if (path.startsWith('/ok')) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
      } else if (path === '/fail') {
        res.writeHead(500, { 'retry-after': '120' }).end('database is down\n\tretry\r\nlater');
      } else if (path === '/fail-long') {
        res.writeHead(503).end(`${'x'.repeat(1000)}${'y'.repeat(100_000)}`);
      } else if (path === '/fail-date') {
        res.writeHead(429, { 'retry-after': new Date(Date.now() + 600_000).toUTCString() }).end();
      } else if (path === '/echo-auth') {
        res.writeHead(400).end(`bad credentials: ${req.headers.authorization}`);
      } else if (path === '/gone') {
        res.writeHead(410).end('this hook was removed');
      } else if (path === '/redirect') {
        res.writeHead(302, { location: '/ok-redirected' }).end();
      } else if (path === '/reset') {
        req.socket.destroy();
      } else if (path !== '/hang') {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    origin: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The receiver's side of Standard Webhooks, written here from the spec with node:crypto
 * (not standardwebhooks): HMAC-SHA256 keyed with the base64-decoded secret over
 * `{id}.{timestamp}.{body}`, compared in constant time with each `v1,` signature.
 */
function signatureValid(secret: string, headers: http.IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
  const expected = createHmac('sha256', key).update(signed).digest();
  return String(headers['webhook-signature'])
    .split(' ')
    .some((candidate) => {
      const [version, sig] = candidate.split(',');
      if (version !== 'v1' || !sig) return false;
      const given = Buffer.from(sig, 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe.each(dbKinds)('webhooks on %s', (kind) => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let cabMember: TestUser;
  let auditor: TestUser;
  let channel: WebhookChannel;

  beforeAll(async () => {
    t = await startTestApp(kind);
    receiver = await startReceiver();
    cabMember = await t.user(['cab_member']);
    auditor = await t.user(['auditor']);
    channel = new WebhookChannel({
      clock: t.clock,
      webhooks: t.container.webhooks,
      timeoutMs: 300,
    });
  });
  afterAll(async () => {
    await channel.close();
    await receiver.close();
    await t.close();
  });

  const register = async (payload: Json, as?: TestUser) =>
    t.call({ method: 'POST', url: '/api/v1/webhooks', payload, ...(as ? { as } : {}) });
  const endpoint = async (url: string, plane = 'jamf', events = ALL_EVENTS) => {
    const res = await register({ plane, url, events });
    expect(res.statusCode, res.body).toBe(201);
    return res.json<Json>();
  };
  const show = async (id: string) =>
    (await t.call({ method: 'GET', url: `/api/v1/webhooks/${id}` })).json<Json>();
  const events = async (subject: string) =>
    (
      await t.call({
        method: 'GET',
        url: `/api/v1/audit/events?subject=${subject}&order=asc`,
        as: auditor,
      })
    ).json<{ events: Json[] }>().events;
  /** Enqueues one message to this endpoint (as the CAB would) and reads it back. */
  const messageTo = async (endpointId: string, eventType = 'deployment.denied') => {
    const payload = { request: { id: 'req-1', status: 'denied' }, reason: 'rollback untested' };
    await t.container.database.transaction((trx) =>
      t.container.outbox.enqueue(trx, systemContext(), {
        channel: 'webhook',
        event_type: eventType,
        plane: 'jamf',
        endpoint_id: endpointId,
        subject_id: 'req-1',
        payload,
      }),
    );
    const messages = await t.container.outbox.list({ endpoint_id: endpointId, limit: 500 });
    return messages[messages.length - 1]!;
  };
  const lastAt = (path: string) => receiver.received.filter((r) => r.path === path).at(-1)!;

  describe('endpoints', () => {
    it('registers an endpoint and shows its secret in that answer only', async () => {
      const res = await register({
        plane: 'intune',
        url: receiver.url('/ok'),
        events: ['deployment.authorized', 'deployment.authorized', 'deployment.denied'],
        description: 'Intune rollout bridge',
      });
      expect(res.statusCode, res.body).toBe(201);
      const created = res.json<Json>();
      expect(created).toMatchObject({
        plane: 'intune',
        url: receiver.url('/ok'),
        events: ['deployment.authorized', 'deployment.denied'],
        description: 'Intune rollout bridge',
        status: 'active',
        disabled_reason: null,
        created_by: t.admin.id,
      });
      expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(created.secret.slice(6), 'base64')).toHaveLength(32);
      const again = await show(created.id);
      expect(again).toEqual(
        Object.fromEntries(Object.entries(created).filter(([k]) => k !== 'secret')),
      );
      const listed = (await t.call({ method: 'GET', url: '/api/v1/webhooks?plane=intune' })).json();
      expect(listed.webhooks.map((w: Json) => w.id)).toContain(created.id);
      expect(JSON.stringify(listed)).not.toContain(created.secret.slice(6));
      const [event] = await events(created.id);
      expect(event).toMatchObject({
        event_type: 'webhook.endpoint.created',
        actor: t.admin.id,
        data: { plane: 'intune', url: receiver.url('/ok'), events: created.events },
      });
      expect(JSON.stringify(event)).not.toContain(created.secret.slice(6));
    });

    it('replays a creation with the same Idempotency-Key instead of registering twice', async () => {
      const payload = {
        plane: 'custom',
        url: receiver.url('/ok-idem'),
        events: ['deployment.denied'],
      };
      const headers = { 'idempotency-key': `hook-${kind}` };
      const first = await t.call({ method: 'POST', url: '/api/v1/webhooks', payload, headers });
      const second = await t.call({ method: 'POST', url: '/api/v1/webhooks', payload, headers });
      expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(second.json().id).toBe(first.json().id);
    });

    it('keeps URL credentials for sending but never shows them', async () => {
      const res = await register({
        plane: 'jamf',
        url: 'http://alice:s3cr3t-pw@127.0.0.1:9/hooks?x=1',
        events: ['deployment.denied'],
      });
      expect(res.statusCode, res.body).toBe(201);
      const created = res.json<Json>();
      expect(created.url).toBe('http://***@127.0.0.1:9/hooks?x=1');
      expect((await show(created.id)).url).toBe('http://***@127.0.0.1:9/hooks?x=1');
      const list = await t.call({ method: 'GET', url: '/api/v1/webhooks?plane=jamf&limit=500' });
      const disabled = await t.call({
        method: 'POST',
        url: `/api/v1/webhooks/${created.id}/disable`,
        payload: { reason: 'maintenance' },
      });
      const enabled = await t.call({
        method: 'POST',
        url: `/api/v1/webhooks/${created.id}/enable`,
      });
      const refused = await register({
        plane: 'jamf',
        url: 'ftp://bob:hunter22@files.example.org/drop',
        events: ['deployment.denied'],
      });
      expect(refused.statusCode).toBe(422);
      expect(refused.json().detail).toContain('ftp://***@files.example.org/drop');
      const unparsable = await register({
        plane: 'jamf',
        url: 'http://carol:pa55word@[bad/',
        events: ['deployment.denied'],
      });
      expect(unparsable.statusCode).toBe(422);
      const deleted = await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${created.id}` });
      expect(deleted.statusCode).toBe(204);
      for (const answer of [res, list, disabled, enabled, refused, unparsable]) {
        expect(answer.body).not.toMatch(/s3cr3t-pw|hunter22|pa55word|alice|bob:|carol/);
      }
      // Nowhere in the audit log either: creation, changes and the refusals.
      const audit = await t.container.database.db
        .selectFrom('audit_events')
        .select(['event_type', 'data'])
        .execute();
      expect(audit.map((e) => e.event_type)).toEqual(
        expect.arrayContaining([
          'webhook.endpoint.created',
          'webhook.endpoint.disabled',
          'webhook.endpoint.enabled',
          'webhook.endpoint.deleted',
          'request.refused',
        ]),
      );
      expect(JSON.stringify(audit)).not.toMatch(/s3cr3t-pw|hunter22|pa55word|whsec_/);
    });

    it.each([
      ['javascript:alert(1)', /not http or https/],
      ['file:///etc/passwd', /not http or https/],
      ['ftp://example.org/x', /not http or https/],
      ['example.org/hook', /not an absolute URL/],
      ['https://example.org/hook#part', /fragment/],
      ['https://exa mple.org/hook', /whitespace/],
      ['http://', /not an absolute URL/],
    ])('refuses the URL %j with 422 naming /url', async (url, message) => {
      const res = await register({ plane: 'jamf', url, events: ['deployment.denied'] });
      expect(res.statusCode, res.body).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ reason: 'invalid_webhook_url' });
      expect(res.json().errors).toEqual([
        { path: '/url', message: expect.stringMatching(message) },
      ]);
    });

    it('refuses malformed bodies with 400 naming the field', async () => {
      const cases: [Json, string][] = [
        [{ plane: 'jamf', url: receiver.url('/ok'), events: ['deployment.exploded'] }, '/events/0'],
        [{ plane: 'jamf', url: receiver.url('/ok'), events: ['ping'] }, '/events/0'],
        [{ plane: 'jamf', url: receiver.url('/ok'), events: [] }, '/events'],
        [{ plane: 'mdm9000', url: receiver.url('/ok'), events: ALL_EVENTS }, '/plane'],
        [
          { plane: 'jamf', url: `https://example.org/${'a'.repeat(2100)}`, events: ALL_EVENTS },
          '/url',
        ],
        [
          { plane: 'jamf', url: receiver.url('/ok'), events: ALL_EVENTS, secret: 'mine' },
          '/secret',
        ],
        [
          { plane: 'jamf', url: receiver.url('/ok'), events: ALL_EVENTS, status: 'active' },
          '/status',
        ],
      ];
      for (const [payload, path] of cases) {
        const res = await register(payload);
        expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400);
        expect(res.json().errors.map((e: Json) => e.path)).toContain(path);
      }
    });

    it('is for admins only', async () => {
      const payload = { plane: 'jamf', url: receiver.url('/ok'), events: ALL_EVENTS };
      for (const who of [cabMember, auditor]) {
        const res = await register(payload, who);
        expect([res.statusCode, res.json().reason]).toEqual([403, 'missing_role']);
        expect((await t.call({ method: 'GET', url: '/api/v1/webhooks', as: who })).statusCode).toBe(
          403,
        );
      }
    });

    it('lists with a cursor and filters, deleted ones only when asked for', async () => {
      const a = await endpoint(receiver.url('/ok-a'), 'landscape');
      const b = await endpoint(receiver.url('/ok-b'), 'landscape');
      const c = await endpoint(receiver.url('/ok-c'), 'landscape');
      const page1 = (
        await t.call({ method: 'GET', url: '/api/v1/webhooks?plane=landscape&limit=2' })
      ).json();
      expect(page1.webhooks.map((w: Json) => w.id)).toEqual([a.id, b.id]);
      const page2 = (
        await t.call({
          method: 'GET',
          url: `/api/v1/webhooks?plane=landscape&limit=2&cursor=${page1.next_cursor}`,
        })
      ).json();
      expect(page2).toEqual({
        webhooks: [expect.objectContaining({ id: c.id })],
        next_cursor: null,
      });

      const del = await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${b.id}` });
      expect([del.statusCode, del.body]).toEqual([204, '']);
      expect((await show(b.id)).status).toBe('deleted');
      const live = (
        await t.call({ method: 'GET', url: '/api/v1/webhooks?plane=landscape' })
      ).json();
      expect(live.webhooks.map((w: Json) => w.id)).toEqual([a.id, c.id]);
      const gone = (
        await t.call({ method: 'GET', url: '/api/v1/webhooks?plane=landscape&status=deleted' })
      ).json();
      expect(gone.webhooks.map((w: Json) => w.id)).toEqual([b.id]);
      expect((await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${b.id}` })).statusCode).toBe(
        404,
      );
      expect((await t.call({ method: 'GET', url: '/api/v1/webhooks/nope' })).statusCode).toBe(404);
      expect((await events(b.id)).map((e) => e.event_type)).toEqual([
        'webhook.endpoint.created',
        'webhook.endpoint.deleted',
        'request.refused',
      ]);
    });

    it('expands an event to the active subscribers of its plane at enqueue', async () => {
      const sub1 = await endpoint(receiver.url('/ok-s1'), 'configmgr', ['deployment.authorized']);
      const sub2 = await endpoint(receiver.url('/ok-s2'), 'configmgr', ALL_EVENTS);
      await endpoint(receiver.url('/ok-s3'), 'configmgr', ['deployment.denied']);
      const off = await endpoint(receiver.url('/ok-s4'), 'configmgr', ALL_EVENTS);
      const removed = await endpoint(receiver.url('/ok-s5'), 'configmgr', ALL_EVENTS);
      await t.call({
        method: 'POST',
        url: `/api/v1/webhooks/${off.id}/disable`,
        payload: { reason: 'receiver being rebuilt' },
      });
      await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${removed.id}` });
      const written = await t.container.database.transaction((trx) =>
        t.container.outbox.enqueue(trx, systemContext(), {
          channel: 'webhook',
          event_type: 'deployment.authorized',
          plane: 'configmgr',
          subject_id: 'fanout-1',
          payload: {},
        }),
      );
      expect(written).toHaveLength(2);
      const rows = await t.container.outbox.list({ subject_id: 'fanout-1', limit: 10 });
      expect(rows.map((m) => m.endpoint_id).sort()).toEqual([sub1.id, sub2.id].sort());
    });

    it('disables and enables by hand, audited, refusing what makes no sense', async () => {
      const hook = await endpoint(receiver.url('/ok-toggle'));
      const path = `/api/v1/webhooks/${hook.id}`;
      const off = await t.call({
        method: 'POST',
        url: `${path}/disable`,
        payload: { reason: 'receiver moving' },
      });
      expect(off.json()).toMatchObject({ status: 'disabled', disabled_reason: 'receiver moving' });
      const twice = await t.call({
        method: 'POST',
        url: `${path}/disable`,
        payload: { reason: 'x' },
      });
      expect([twice.statusCode, twice.json().reason]).toEqual([409, 'endpoint_disabled']);
      const ping = await t.call({ method: 'POST', url: `${path}/test` });
      expect([ping.statusCode, ping.json().reason]).toEqual([409, 'endpoint_disabled']);
      const on = await t.call({ method: 'POST', url: `${path}/enable` });
      expect(on.json()).toMatchObject({ status: 'active', disabled_reason: null });
      const again = await t.call({ method: 'POST', url: `${path}/enable` });
      expect([again.statusCode, again.json().reason]).toEqual([409, 'endpoint_active']);
      expect((await events(hook.id)).map((e) => [e.event_type, e.data.to ?? null])).toEqual([
        ['webhook.endpoint.created', null],
        ['webhook.endpoint.disabled', 'disabled'],
        ['request.refused', null],
        ['request.refused', null],
        ['webhook.endpoint.enabled', 'active'],
        ['request.refused', null],
      ]);
    });
  });

  describe('the test ping', () => {
    it('sends a signed ping now and answers how it went; the attempt stays in the outbox', async () => {
      const hook = await endpoint(receiver.url('/ok-ping'), 'intune');
      const res = await t.call({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/test` });
      expect(res.statusCode, res.body).toBe(200);
      const answer = res.json<Json>();
      expect(answer).toEqual({
        message_id: expect.any(String),
        delivered: true,
        status_code: 200,
        error: null,
      });
      const got = lastAt('/ok-ping');
      expect(got.headers['webhook-id']).toBe(answer.message_id);
      expect(signatureValid(hook.secret, got.headers, got.body)).toBe(true);
      expect(JSON.parse(got.body)).toEqual({
        type: 'ping',
        timestamp: expect.any(String),
        data: { endpoint_id: hook.id, plane: 'intune' },
      });
      const message = await t.container.outbox.get(answer.message_id);
      expect(message).toMatchObject({ status: 'delivered', attempts: 1, event_type: 'ping' });
      expect(await t.container.outbox.attempts(answer.message_id)).toEqual([
        expect.objectContaining({ outcome: 'delivered', status_code: 200 }),
      ]);
      expect((await events(hook.id)).map((e) => e.event_type)).toEqual([
        'webhook.endpoint.created',
        'webhook.endpoint.tested',
      ]);
    });

    it('answers the failure of a ping with the receiver status and text', async () => {
      const hook = await endpoint(receiver.url('/fail'), 'intune');
      const answer = (
        await t.call({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/test` })
      ).json();
      expect(answer).toMatchObject({
        delivered: false,
        status_code: 500,
        error: 'HTTP 500: database is down retry later',
      });
      expect(await t.container.outbox.get(answer.message_id)).toMatchObject({ status: 'pending' });
      expect((await t.call({ method: 'POST', url: '/api/v1/webhooks/nope/test' })).statusCode).toBe(
        404,
      );
    });
    it('disables the endpoint when the ping answers 410, through the dispatcher', async () => {
      const hook = await endpoint(receiver.url('/gone'), 'intune');
      const answer = (
        await t.call({ method: 'POST', url: `/api/v1/webhooks/${hook.id}/test` })
      ).json();
      expect(answer).toMatchObject({
        delivered: false,
        status_code: 410,
        error: 'HTTP 410: this hook was removed',
      });
      expect(await t.container.outbox.get(answer.message_id)).toMatchObject({ status: 'dead' });
      expect(await show(hook.id)).toMatchObject({
        status: 'disabled',
        disabled_reason: 'the receiver answered 410 Gone',
      });
    });
  });

  describe('the channel, against a real receiver', () => {
    it('delivers a signed Standard Webhooks request; a retry keeps its id and body', async () => {
      const hook = await endpoint(receiver.url('/ok-deliver'));
      const message = await messageTo(hook.id);
      const result = await channel.deliver(message);
      expect(result).toEqual({ outcome: 'delivered', statusCode: 200 });
      const first = lastAt('/ok-deliver');
      expect(first.headers).toMatchObject({
        'content-type': 'application/json',
        'webhook-id': message.id,
        'webhook-timestamp': String(Math.floor(t.clock.now().getTime() / 1000)),
      });
      expect(first.headers['user-agent']).toMatch(/cabinet/);
      expect(first.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(signatureValid(hook.secret, first.headers, first.body)).toBe(true);
      expect(JSON.parse(first.body)).toEqual({
        type: 'deployment.denied',
        timestamp: message.created_at,
        data: message.payload,
      });
      // Tampering shows: another body, or another secret, does not verify.
      expect(
        signatureValid(hook.secret, first.headers, first.body.replace('denied', 'approved')),
      ).toBe(false);
      expect(
        signatureValid(`whsec_${Buffer.alloc(32).toString('base64')}`, first.headers, first.body),
      ).toBe(false);

      t.clock.advance(5_000);
      await channel.deliver(message);
      const second = lastAt('/ok-deliver');
      expect(second.headers['webhook-id']).toBe(message.id);
      expect(second.body).toBe(first.body);
      expect(Number(second.headers['webhook-timestamp'])).toBe(
        Number(first.headers['webhook-timestamp']) + 5,
      );
      expect(signatureValid(hook.secret, second.headers, second.body)).toBe(true);
    });

    it('reuses kept-alive connections across deliveries', async () => {
      const hook = await endpoint(receiver.url('/ok-reuse'));
      const message = await messageTo(hook.id);
      for (let i = 0; i < 5; i++) await channel.deliver(message);
      const ports = new Set(
        receiver.received.filter((r) => r.path === '/ok-reuse').map((r) => r.remotePort),
      );
      expect(ports.size).toBe(1);
    });

    it('sends URL credentials as Basic authentication and never records them', async () => {
      const url = receiver.url('/echo-auth').replace('http://', 'http://alice:s3cr3t%2Fpw@');
      const hook = await endpoint(url);
      const result = await channel.deliver(await messageTo(hook.id));
      const got = lastAt('/echo-auth');
      expect(got.headers.authorization).toBe(
        `Basic ${Buffer.from('alice:s3cr3t/pw').toString('base64')}`,
      );
      expect(result).toMatchObject({ outcome: 'failed', statusCode: 400 });
      expect(JSON.stringify(result)).not.toMatch(/s3cr3t|YWxpY2U6/);
      expect(result).toMatchObject({ error: 'HTTP 400: bad credentials: Basic ***' });
    });

    it('fails on a 500 with the flat start of the answer and its Retry-After', async () => {
      const hook = await endpoint(receiver.url('/fail'));
      expect(await channel.deliver(await messageTo(hook.id))).toEqual({
        outcome: 'failed',
        statusCode: 500,
        error: 'HTTP 500: database is down retry later',
        retryAfterMs: 120_000,
      });
      const long = await endpoint(receiver.url('/fail-long'));
      const result = await channel.deliver(await messageTo(long.id));
      expect(result).toMatchObject({ outcome: 'failed', statusCode: 503, retryAfterMs: null });
      expect(result.outcome === 'failed' && result.error).toBe(`HTTP 503: ${'x'.repeat(200)}…`);
      const dated = await endpoint(receiver.url('/fail-date'));
      const limited = await channel.deliver(await messageTo(dated.id));
      expect(limited).toMatchObject({ outcome: 'failed', statusCode: 429, error: 'HTTP 429' });
      const after = limited.outcome === 'failed' ? (limited.retryAfterMs ?? 0) : 0;
      expect(after).toBeGreaterThan(500_000);
      expect(after).toBeLessThanOrEqual(
        600_000 + 1_000 + Math.abs(Date.now() - t.clock.now().getTime()),
      );
    });

    it('reports 410 as gone, and onGone disables the endpoint (audited)', async () => {
      const hook = await endpoint(receiver.url('/gone'));
      const message = await messageTo(hook.id);
      const result = await channel.deliver(message);
      expect(result).toEqual({
        outcome: 'gone',
        statusCode: 410,
        error: 'HTTP 410: this hook was removed',
      });
      if (result.outcome !== 'gone') throw new Error('expected gone');
      await channel.onGone(message, result);
      expect(await show(hook.id)).toMatchObject({
        status: 'disabled',
        disabled_reason: 'the receiver answered 410 Gone',
      });
      const disabled = (await events(hook.id)).find(
        (e) => e.event_type === 'webhook.endpoint.disabled',
      )!;
      expect(disabled).toMatchObject({
        actor: 'system',
        data: {
          reason: 'the receiver answered 410 Gone',
          message_id: message.id,
          status_code: 410,
          from: 'active',
          to: 'disabled',
        },
      });
      // A second 410 changes nothing more; a message to it now dies without a request.
      await channel.onGone(message, result);
      const before = receiver.received.length;
      expect(await channel.deliver(await messageTo(hook.id))).toEqual({
        outcome: 'failed',
        permanent: true,
        error: `endpoint ${hook.id} is disabled (the receiver answered 410 Gone)`,
      });
      expect(receiver.received.length).toBe(before);
      expect(
        (await events(hook.id)).filter((e) => e.event_type === 'webhook.endpoint.disabled'),
      ).toHaveLength(1);
    });

    it('fails after its timeout when the receiver never answers', async () => {
      const hook = await endpoint(receiver.url('/hang'));
      const result = await channel.deliver(await messageTo(hook.id));
      expect(result).toEqual({
        outcome: 'failed',
        error: `no answer from ${receiver.origin} within 300 ms`,
      });
      expect(lastAt('/hang')).toBeDefined();
    });

    it('fails when the connection is refused or reset', async () => {
      const port = await closedPort();
      const refused = await endpoint(`http://127.0.0.1:${port}/hook`);
      expect(await channel.deliver(await messageTo(refused.id))).toEqual({
        outcome: 'failed',
        error: `connection refused by 127.0.0.1:${port}`,
      });
      const reset = await endpoint(receiver.url('/reset'));
      expect(await channel.deliver(await messageTo(reset.id))).toEqual({
        outcome: 'failed',
        error: `connection reset by ${receiver.origin} before it answered`,
      });
    });

    it('does not follow a redirect: a 3xx is a failure', async () => {
      const hook = await endpoint(receiver.url('/redirect'));
      const result = await channel.deliver(await messageTo(hook.id));
      expect(result).toEqual({
        outcome: 'failed',
        statusCode: 302,
        error: 'HTTP 302: redirects are not followed (Location: /ok-redirected)',
      });
      expect(receiver.received.some((r) => r.path === '/ok-redirected')).toBe(false);
    });

    it('fails permanently for a deleted endpoint or a message without one', async () => {
      const hook = await endpoint(receiver.url('/ok-deleted'));
      const message = await messageTo(hook.id);
      await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${hook.id}` });
      expect(await channel.deliver(message)).toEqual({
        outcome: 'failed',
        permanent: true,
        error: `endpoint ${hook.id} is deleted`,
      });
      const orphan: OutboxMessage = { ...message, endpoint_id: 'missing' };
      expect(await channel.deliver(orphan)).toEqual({
        outcome: 'failed',
        permanent: true,
        error: 'endpoint missing was not found',
      });
      expect(receiver.received.some((r) => r.path === '/ok-deleted')).toBe(false);
    });
  });
});
