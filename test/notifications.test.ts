import { createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CabWorld, cabWorld } from './cab-fixtures.js';
import { dbKinds } from './databases.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests read JSON bodies by path, checked by expect.
type Json = Record<string, any>;

const PUBLIC_URL = 'https://cab.example.org';

/** A real SMTP receiver on loopback that can be stopped and started again on its port. */
class Mailbox {
  readonly mails: ParsedMail[] = [];
  #server: SMTPServer | null = null;
  port = 0;

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.mails.push(mail);
            callback();
          })
          .catch(callback);
      },
    });
    server.listen(this.port, '127.0.0.1');
    await once(server.server, 'listening');
    this.port = (server.server.address() as AddressInfo).port;
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A real webhook receiver: records every delivery (headers and raw body) and answers 204. */
function hookReceiver() {
  const deliveries: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(204).end();
    });
  });
  return { deliveries, server };
}

/** Standard Webhooks signature check written here from the spec, independently of src/. */
function signatureValid(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`;
  const expected = createHmac('sha256', key).update(signed).digest();
  return String(headers['webhook-signature'])
    .split(' ')
    .some((entry) => {
      const [version, value] = entry.split(',');
      const given = Buffer.from(value ?? '', 'base64');
      return (
        version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected)
      );
    });
}

/** DSSE v1 PAE and an Ed25519 check, from the spec, independently of src/. */
function attestationPredicate(envelope: Json, publicKeyPem: string): Json {
  const body = Buffer.from(envelope.payload, 'base64');
  const pae = Buffer.concat([
    Buffer.from(
      `DSSEv1 ${Buffer.byteLength(envelope.payloadType)} ${envelope.payloadType} ${body.length} `,
    ),
    body,
  ]);
  const ok = verify(
    null,
    pae,
    createPublicKey(publicKeyPem),
    Buffer.from(envelope.signatures[0].sig, 'base64'),
  );
  expect(ok).toBe(true);
  return JSON.parse(body.toString('utf8')) as Json;
}

describe.each(dbKinds)('notifications delivered end to end on %s', (kind) => {
  const mailbox = new Mailbox();
  const hooks = hookReceiver();
  let t: TestApp;
  let world: CabWorld;
  let sub: TestUser;
  let cab1: TestUser;
  let cab2: TestUser;
  let secret: string;
  let publicKeyPem: string;

  const outbox = async (subject: string) =>
    (await t.call({ method: 'GET', url: `/api/v1/outbox?subject_id=${subject}` })).json<{
      messages: Json[];
    }>().messages;

  beforeAll(async () => {
    await mailbox.start();
    hooks.server.listen(0, '127.0.0.1');
    await once(hooks.server, 'listening');
    t = await startTestApp(kind, {
      env: {
        CABINET_SMTP_URL: `smtp://127.0.0.1:${mailbox.port}`,
        CABINET_MAIL_FROM: 'cabinet <cab@example.org>',
        CABINET_PUBLIC_URL: PUBLIC_URL,
      },
    });
    sub = await t.user(['submitter'], `sub-${kind}@example.org`);
    cab1 = await t.user(['cab_member'], `cab1-${kind}@example.org`);
    cab2 = await t.user(['cab_member'], `cab2-${kind}@example.org`);
    world = await cabWorld(t, await t.user(['security_reviewer']));
    const port = (hooks.server.address() as AddressInfo).port;
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: {
        plane: 'intune',
        url: `http://127.0.0.1:${port}/cabinet`,
        events: ['deployment.authorized', 'deployment.denied'],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    secret = created.json().secret;
    publicKeyPem = (await t.call({ method: 'GET', url: '/api/v1/keys', as: null })).json().keys[0]
      .public_key_pem;
  });
  afterAll(async () => {
    world?.dispose();
    await t?.close();
    await mailbox.stop();
    hooks.server.close();
  });

  it('mails the CAB on submit, and after an SMTP outage the submitter gets the decision; the plane gets a signed, attested webhook', async () => {
    const { packId, artifactSha256 } = await world.pack(sub, 'low_violation');
    const submitted = await t.call({
      method: 'POST',
      url: '/api/v1/cab/submit/',
      as: sub,
      payload: { evidence_pack_id: packId, justification: 'monthly patch' },
    });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const request = submitted.json();
    expect(request.status).toBe('pending');

    expect(await t.container.dispatcher.drain()).toMatchObject({ delivered: 1, failed: 0 });
    const [asked] = mailbox.mails;
    expect(asked).toBeDefined();
    const to = (asked!.to as { value: { address: string }[] }).value.map((v) => v.address);
    // Every CAB member, never the submitter.
    expect(to).toEqual(expect.arrayContaining([cab1.email, cab2.email]));
    expect(to).not.toContain(sub.email);
    expect(asked!.from?.value[0]?.address).toBe('cab@example.org');
    expect(asked!.subject).toContain(request.app_name);
    expect(asked!.subject).toContain(request.recommendation);
    expect(asked!.subject).toContain(request.id);
    expect(asked!.text).toContain(`${PUBLIC_URL}/cab/${request.id}`);
    expect(String(asked!.html)).toContain(`${PUBLIC_URL}/cab/${request.id}`);
    const [submitMessage] = await outbox(request.id);
    expect(asked!.messageId).toContain(submitMessage!.id);

    // The SMTP server is down while the CAB decides.
    await mailbox.stop();
    const approved = await t.call({
      method: 'POST',
      url: `/api/v1/cab/${request.id}/approve/`,
      as: cab1,
      payload: { notes: 'ok' },
    });
    expect(approved.statusCode, approved.body).toBe(200);
    expect(await t.container.dispatcher.drain()).toMatchObject({ delivered: 1, failed: 1 });

    // The webhook went out at once, signed under the endpoint's secret, with a valid attestation.
    expect(hooks.deliveries).toHaveLength(1);
    const [hook] = hooks.deliveries;
    expect(signatureValid(secret, hook!.headers, hook!.body)).toBe(true);
    expect(
      signatureValid(`whsec_${Buffer.alloc(32).toString('base64')}`, hook!.headers, hook!.body),
    ).toBe(false);
    const delivery = JSON.parse(hook!.body) as Json;
    expect(delivery.type).toBe('deployment.authorized');
    expect(delivery.data.plane).toBe('intune');
    const statement = attestationPredicate(delivery.data.attestation, publicKeyPem);
    expect(statement.subject[0].digest.sha256).toBe(artifactSha256);
    expect(statement.predicate).toMatchObject({
      request_id: request.id,
      status: 'approved',
      pack: { id: packId },
    });

    // The mail waits: one failed attempt on record, due again on the schedule.
    const decided = (await outbox(request.id)).find((m) => m.event_type === 'cab.request.decided')!;
    expect(decided).toMatchObject({ status: 'pending', attempts: 1 });
    expect(decided.last_error).toMatch(/ECONNREFUSED|connect/i);

    await mailbox.start();
    t.clock.advance(6_000);
    expect(await t.container.dispatcher.drain()).toMatchObject({ delivered: 1, failed: 0 });
    const told = mailbox.mails.at(-1)!;
    expect((told.to as { value: { address: string }[] }).value.map((v) => v.address)).toEqual([
      sub.email,
    ]);
    expect(told.subject).toContain(request.app_name);
    const detail = await t.call({ method: 'GET', url: `/api/v1/outbox/${decided.id}` });
    expect(detail.json()).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(detail.json().attempt_log.map((a: Json) => a.outcome)).toEqual(['failed', 'delivered']);
    // A drain later delivers nothing twice.
    expect(await t.container.dispatcher.drain()).toEqual({ delivered: 0, failed: 0, dead: 0 });
    expect(hooks.deliveries).toHaveLength(1);

    // Prometheus sees the same: attempts by channel and outcome, latency, messages by status.
    const metrics = (await t.call({ method: 'GET', url: '/metrics', as: null })).body;
    expect(metrics).toContain('cabinet_outbox_attempts_total{channel="email",outcome="failed"} 1');
    expect(metrics).toContain(
      'cabinet_outbox_attempts_total{channel="email",outcome="delivered"} 2',
    );
    expect(metrics).toContain(
      'cabinet_outbox_attempts_total{channel="webhook",outcome="delivered"} 1',
    );
    expect(metrics).toMatch(/cabinet_outbox_delivery_latency_seconds_count\{channel="webhook"\} 1/);
    expect(metrics).toContain('cabinet_outbox_messages{status="pending"} 0');
    expect(metrics).toContain('cabinet_outbox_messages{status="delivered"} 3');
  });
});
