import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressObject, type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { EmailChannel, type EmailChannelOptions } from '../src/notify/email-channel.js';
import type { OutboxMessage } from '../src/outbox/outbox-store.js';

/** What a real SMTP receiver on loopback got: the SMTP envelope and the parsed mail. */
interface Received {
  mailFrom: string;
  rcptTo: string[];
  user: string | undefined;
  mail: ParsedMail;
}

interface Receiver {
  port: number;
  received: Received[];
  close(): Promise<void>;
}

const PUBLIC_URL = 'https://cab.example.org';
const FROM = 'Cabinet CAB <cab@example.org>';

async function startReceiver(options: SMTPServerOptions = {}): Promise<Receiver> {
  const received: Received[] = [];
  const server = new SMTPServer({
    // Plain SMTP on loopback: no STARTTLS offered, so nothing needs a certificate.
    disabledCommands: options.secure ? [] : ['STARTTLS'],
    authOptional: true,
    logger: false,
    ...options,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          received.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            mail,
          });
          callback();
        })
        .catch(callback);
    },
  });
  // A client hanging up mid-handshake (the certificate test) is the client's business.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An SMTP server that refuses `address` at RCPT TO with `code`. */
function refusing(code: number, ...addresses: string[]): SMTPServerOptions {
  return {
    onRcptTo(address, _session: SMTPServerSession, callback) {
      if (!addresses.includes(address.address)) return callback();
      const error = new Error(`mailbox ${address.address} unavailable`) as Error & {
        responseCode: number;
      };
      error.responseCode = code;
      callback(error);
    },
  };
}

let seq = 0;
function message(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  seq += 1;
  return {
    id: `0190f0a0-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    channel: 'email',
    event_type: 'cab.request.submitted',
    plane: null,
    endpoint_id: null,
    recipients: [
      { user_id: 'u1', email: 'ann@example.org' },
      { user_id: 'u2', email: 'bob@example.org' },
    ],
    subject_id: 'req-0190-1',
    payload: {
      request: {
        id: 'req-0190-1',
        app_name: '7-Zip <b>bold</b>',
        app_version: '24.08',
        recommendation: 'HIGH',
        risk_score: 62.5,
        plane: 'intune',
        change_type: 'normal',
        submission_justification: 'Security update for CVE-2024-11477',
      },
    },
    status: 'pending',
    attempts: 1,
    next_attempt_at: '2026-01-01T00:00:00.000Z',
    last_error: null,
    correlation_id: null,
    dedupe_key: null,
    created_at: '2026-01-01T00:00:00.000Z',
    delivered_at: null,
    ...overrides,
  };
}

const channels: EmailChannel[] = [];
function channel(smtpUrl: string | null, options: Partial<EmailChannelOptions> = {}) {
  const made = new EmailChannel({ smtpUrl, from: FROM, publicUrl: PUBLIC_URL, ...options });
  channels.push(made);
  return made;
}

afterEach(async () => {
  await Promise.all(channels.splice(0).map((c) => c.close()));
});

const addresses = (value: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(value) ? value : value ? [value] : []).flatMap((a) =>
    a.value.map((v) => v.address),
  );

describe('EmailChannel over plain SMTP', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver(refusing(550, 'gone@example.org'));
  });
  afterAll(async () => receiver.close());

  it('delivers the mail: recipients, subject, link, Message-ID, text and HTML bodies', async () => {
    const email = channel(`smtp://127.0.0.1:${receiver.port}`);
    expect(email.enabled).toBe(true);
    expect(email.name).toBe('email');
    const sent = message();
    const result = await email.deliver(sent);
    expect(result).toEqual({ outcome: 'delivered', statusCode: 250 });

    const got = receiver.received.at(-1)!;
    expect(got.mailFrom).toBe('cab@example.org');
    expect(got.rcptTo).toEqual(['ann@example.org', 'bob@example.org']);
    const mail = got.mail;
    expect(addresses(mail.to)).toEqual(['ann@example.org', 'bob@example.org']);
    expect(mail.from?.value).toEqual([{ name: 'Cabinet CAB', address: 'cab@example.org' }]);
    expect(mail.subject).toBe(
      '[cabinet] Approval needed: 7-Zip <b>bold</b> 24.08 (HIGH) — CAB request req-0190-1',
    );
    expect(mail.messageId).toBe(`<${sent.id}@cabinet.cab.example.org>`);
    expect(mail.headers.get('x-cabinet-outbox-id')).toBe(sent.id);
    expect(mail.headers.get('x-cabinet-event')).toBe('cab.request.submitted');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.references).toBe('<req-0190-1@cabinet.cab.example.org>');

    const link = 'https://cab.example.org/cab/req-0190-1';
    expect(mail.text).toContain(`Review the request: ${link}`);
    expect(mail.text).toContain('Security update for CVE-2024-11477');
    expect(mail.text).toContain('Risk band: HIGH (score 62.5)');
    expect(mail.html).toContain(`<a href="${link}"`);
    expect(mail.html).toContain('7-Zip &lt;b&gt;bold&lt;/b&gt; 24.08');
    expect(mail.html).not.toContain('<b>bold</b>');
  });

  it('sends a retry of the same outbox message with the same Message-ID', async () => {
    const email = channel(`smtp://127.0.0.1:${receiver.port}`);
    const sent = message({ recipients: [{ user_id: 'u1', email: 'ann@example.org' }] });
    await email.deliver(sent);
    await email.deliver({ ...sent, attempts: 2 });
    const ids = receiver.received.slice(-2).map((r) => r.mail.messageId);
    expect(ids).toEqual([
      `<${sent.id}@cabinet.cab.example.org>`,
      `<${sent.id}@cabinet.cab.example.org>`,
    ]);
  });

  it('delivers to the recipients accepted and notes the ones refused', async () => {
    const email = channel(`smtp://127.0.0.1:${receiver.port}`);
    const result = await email.deliver(
      message({
        recipients: [
          { user_id: 'u1', email: 'ann@example.org' },
          { user_id: 'u3', email: 'gone@example.org' },
        ],
      }),
    );
    expect(result).toMatchObject({ outcome: 'delivered', statusCode: 250 });
    expect(result.outcome === 'delivered' && result.note).toBe(
      'refused by the server: gone@example.org',
    );
    expect(receiver.received.at(-1)!.rcptTo).toEqual(['ann@example.org']);
  });

  it('fails with the 550 when the server refuses every recipient', async () => {
    const before = receiver.received.length;
    const email = channel(`smtp://127.0.0.1:${receiver.port}`);
    const result = await email.deliver(
      message({ recipients: [{ user_id: 'u3', email: 'gone@example.org' }] }),
    );
    expect(result).toMatchObject({ outcome: 'failed', statusCode: 550 });
    const error = result.outcome === 'failed' ? result.error : '';
    expect(error).toMatch(/^SMTP EENVELOPE at RCPT TO: .*all recipients were rejected/);
    expect(error).toContain('550');
    expect(error).not.toMatch(/[\r\n]/);
    expect(receiver.received.length).toBe(before);
  });

  it('fails with the 451 when the server defers the recipient (retried later)', async () => {
    const deferring = await startReceiver(refusing(451, 'ann@example.org'));
    try {
      const email = channel(`smtp://127.0.0.1:${deferring.port}`);
      const result = await email.deliver(
        message({ recipients: [{ user_id: 'u1', email: 'ann@example.org' }] }),
      );
      expect(result).toMatchObject({ outcome: 'failed', statusCode: 451 });
      expect(result.outcome === 'failed' && result.permanent).toBeFalsy();
    } finally {
      await deferring.close();
    }
  });

  it('renders an unknown event type as a generic mail rather than dropping it', async () => {
    const email = channel(`smtp://127.0.0.1:${receiver.port}`);
    const result = await email.deliver(
      message({ event_type: 'something.new', payload: { whatever: true }, subject_id: null }),
    );
    expect(result.outcome).toBe('delivered');
    const mail = receiver.received.at(-1)!.mail;
    expect(mail.subject).toBe('[cabinet] Notification: something.new');
    expect(mail.text).toContain('Open the dashboard: https://cab.example.org');
    expect(mail.references).toBeUndefined();
  });

  it('refuses a message without recipients for good, without connecting', async () => {
    const email = channel(`smtp://127.0.0.1:${receiver.port}`);
    const result = await email.deliver(message({ recipients: [] }));
    expect(result).toEqual({
      outcome: 'failed',
      error: 'the message names no recipient',
      permanent: true,
    });
  });
});

describe('EmailChannel when the SMTP server is not there or does not answer', () => {
  it('is disabled without CABINET_SMTP_URL and fails what it is handed', async () => {
    const email = channel(null);
    expect(email.enabled).toBe(false);
    expect(email.target).toBeNull();
    const result = await email.deliver(message());
    expect(result).toMatchObject({ outcome: 'failed' });
    expect(result.outcome === 'failed' && result.error).toMatch(/CABINET_SMTP_URL/);
    await expect(email.close()).resolves.toBeUndefined();
  });

  it('is wired from the configuration: URL, From and public URL', () => {
    const off = EmailChannel.fromConfig(loadConfig({}));
    expect(off.enabled).toBe(false);
    const on = EmailChannel.fromConfig(
      loadConfig({ CABINET_SMTP_URL: 'smtps://mailer:hunter2@127.0.0.1:4650' }),
    );
    channels.push(on);
    expect(on.enabled).toBe(true);
    expect(on.target).toBe('smtps://***@127.0.0.1:4650');
    expect(() => channel('smtp://mailer:hunter2@[bad')).toThrow('not an SMTP URL: smtp://***@[bad');
  });

  it('fails with connection refused when the server is down', async () => {
    const stopped = await startReceiver();
    const port = stopped.port;
    await stopped.close();
    const email = channel(`smtp://cabinet:pw-not-shown@127.0.0.1:${port}`);
    const result = await email.deliver(message());
    expect(result.outcome).toBe('failed');
    const error = result.outcome === 'failed' ? result.error : '';
    expect(error).toMatch(/^SMTP ESOCKET \(ECONNREFUSED\) at CONN: connect ECONNREFUSED/);
    expect(error).toContain(`127.0.0.1:${port}`);
    expect(error).not.toContain('pw-not-shown');
  });

  describe('a server that accepts the connection and never speaks', () => {
    let server: Server;
    let port: number;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('fails the attempt at the greeting timeout instead of hanging', async () => {
      const email = channel(`smtp://user:hang-secret@127.0.0.1:${port}`, {
        timeouts: { greetingMs: 300 },
      });
      const result = await email.deliver(message());
      expect(result.outcome).toBe('failed');
      const error = result.outcome === 'failed' ? result.error : '';
      expect(error).toMatch(/^SMTP ETIMEDOUT.*greeting/i);
      expect(error).not.toContain('hang-secret');
    });

    it('uses 15 s connection, greeting and socket timeouts unless told otherwise', async () => {
      const { DEFAULT_EMAIL_TIMEOUTS } = await import('../src/notify/email-channel.js');
      expect(DEFAULT_EMAIL_TIMEOUTS).toMatchObject({
        connectionMs: 15_000,
        greetingMs: 15_000,
        socketMs: 15_000,
      });
    });
  });

  it('abandons an attempt that outlives its deadline (a server trickling its greeting)', async () => {
    const sockets = new Set<Socket>();
    const timers = new Set<NodeJS.Timeout>();
    // A multi-line 220 greeting that never ends: every line resets the socket timeout.
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      const timer = setInterval(() => socket.write('220-still here\r\n'), 50);
      timers.add(timer);
      socket.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const email = channel(`smtp://127.0.0.1:${port}`, {
        timeouts: { greetingMs: 60_000, socketMs: 60_000, deliveryMs: 400 },
      });
      const result = await email.deliver(message());
      expect(result.outcome).toBe('failed');
      expect(result.outcome === 'failed' && result.error).toMatch(
        /SMTP (delivery took longer than|ETIMEDOUT)/,
      );
    } finally {
      for (const timer of timers) clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('EmailChannel over smtps:// with credentials', () => {
  const USER = 'cabinet-mailer';
  // Characters that must be percent-encoded in the URL and decoded before AUTH.
  const PASSWORD = 's3cr3t/p@ss:w0rd';
  const url = (port: number, password = PASSWORD) =>
    `smtps://${encodeURIComponent(USER)}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  let dir: string;
  let receiver: Receiver;
  let auths: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cabinet-smtps-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { cwd: dir, stdio: 'pipe' },
    );
    auths = [];
    receiver = await startReceiver({
      secure: true,
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      authOptional: false,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, callback) {
        auths.push(auth.username ?? '');
        if (auth.username === USER && auth.password === PASSWORD) {
          return callback(null, { user: auth.username });
        }
        // A careless server that quotes what it was sent: the channel must mask it.
        const error = new Error(`bad credentials ${auth.username}/${auth.password}`) as Error & {
          responseCode: number;
        };
        error.responseCode = 535;
        callback(error);
      },
    });
  });
  afterAll(async () => {
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in and delivers when the test allows the self-signed certificate', async () => {
    const email = channel(url(receiver.port), { tls: { rejectUnauthorized: false } });
    expect(email.target).toBe(`smtps://***@127.0.0.1:${receiver.port}`);
    const sent = message({
      event_type: 'cab.request.decided',
      recipients: [{ user_id: 'u9', email: 'submitter@example.org' }],
      payload: {
        request: {
          id: 'req-0190-1',
          app_name: '7-Zip',
          app_version: '24.08',
          recommendation: 'CAUTION',
          status: 'denied',
          review_notes: 'Rollback to 23.01 was never tested <script>x</script>',
        },
        reason: 'Rollback to 23.01 was never tested <script>x</script>',
      },
    });
    const result = await email.deliver(sent);
    expect(result).toEqual({ outcome: 'delivered', statusCode: 250 });
    const got = receiver.received.at(-1)!;
    expect(got.user).toBe(USER);
    expect(got.rcptTo).toEqual(['submitter@example.org']);
    expect(got.mail.subject).toBe(
      '[cabinet] Denied: 7-Zip 24.08 (CAUTION) — CAB request req-0190-1',
    );
    expect(got.mail.text).toContain('Reason for the veto:\n  Rollback to 23.01 was never tested');
    expect(got.mail.html).toContain('never tested &lt;script&gt;x&lt;/script&gt;');
    expect(got.mail.html).not.toMatch(/<script/i);
    expect(got.mail.messageId).toBe(`<${sent.id}@cabinet.cab.example.org>`);
  });

  it('keeps certificate checks on unless code turns them off: a self-signed server fails', async () => {
    const before = receiver.received.length;
    const email = channel(url(receiver.port));
    const result = await email.deliver(message());
    expect(result.outcome).toBe('failed');
    const error = result.outcome === 'failed' ? result.error : '';
    expect(error).toMatch(/certificate/i);
    expect(error).not.toContain(PASSWORD);
    expect(receiver.received.length).toBe(before);
  });

  it('fails a wrong password with the 535 and never shows the password in any form', async () => {
    const wrong = 'wr0ng/p@ssword';
    const email = channel(url(receiver.port, wrong), { tls: { rejectUnauthorized: false } });
    const result = await email.deliver(message());
    expect(result).toMatchObject({ outcome: 'failed', statusCode: 535 });
    const error = result.outcome === 'failed' ? result.error : '';
    expect(auths).toContain(USER);
    expect(error).toMatch(/^SMTP EAUTH at AUTH (PLAIN|LOGIN): /);
    // The server echoed it; the channel masked it.
    expect(error).toContain('bad credentials cabinet-mailer/***');
    for (const form of [
      wrong,
      encodeURIComponent(wrong),
      Buffer.from(wrong).toString('base64'),
      Buffer.from(`\u0000${USER}\u0000${wrong}`).toString('base64'),
    ]) {
      expect(error).not.toContain(form);
    }
  });
});
