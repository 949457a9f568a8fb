/**
 * What the outbox bench delivers to, in the bench process, and the baselines it measures
 * against them: a Standard Webhooks receiver (node:http, keep-alive, 204) and an SMTP
 * receiver (smtp-server on loopback, no auth, no TLS), each counting arrivals per message id
 * into the collection the bench opened for a phase; raw keep-alive POSTs and raw nodemailer
 * sends of the same bytes to the same receivers.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';

// ---------------------------------------------------------------------------------------
// Collections: what arrived during one phase, by message id.

/**
 * The arrivals of one phase. Webhook deliveries name their phase in the payload
 * (`data.bench.run`), so a late duplicate of an earlier phase is still counted against it;
 * mails go to the collection open when they arrive.
 */
export class Collection {
  readonly run: string;
  readonly expected: number;
  /** Arrival time (performance.now()) per sequence number; NaN until it arrives. */
  readonly arrivedAt: Float64Array;
  readonly #ids = new Set<string>();
  unique = 0;
  duplicates = 0;
  /** Deliveries whose signature did not verify under the endpoint's secret. */
  badSignatures = 0;
  /** Deliveries naming a sequence number outside the phase, or none. */
  strays = 0;
  firstAt = Number.NaN;
  lastAt = Number.NaN;
  /** Arrival time of each unique message, in arrival order. */
  readonly times: number[] = [];
  readonly #secret: Buffer | null;
  #waiters: (() => void)[] = [];

  constructor(run: string, expected: number, secret: string | null = null) {
    this.run = run;
    this.expected = expected;
    this.arrivedAt = new Float64Array(expected).fill(Number.NaN);
    this.#secret = secret ? Buffer.from(secret.replace(/^whsec_/, ''), 'base64') : null;
  }

  /** Key for signatures (webhooks); null: not checked. */
  get secret(): Buffer | null {
    return this.#secret;
  }

  get missing(): number {
    return this.expected - this.unique;
  }

  record(id: string, seq: number | null, at: number): void {
    if (this.#ids.has(id)) {
      this.duplicates++;
      return;
    }
    this.#ids.add(id);
    if (seq !== null) {
      if (!Number.isInteger(seq) || seq < 0 || seq >= this.expected) {
        this.strays++;
        return;
      }
      if (!Number.isNaN(this.arrivedAt[seq]!)) {
        // Two message ids carrying one sequence number: enqueued twice, not delivered twice.
        this.strays++;
        return;
      }
      this.arrivedAt[seq] = at;
    }
    this.unique++;
    this.times.push(at);
    if (Number.isNaN(this.firstAt)) this.firstAt = at;
    this.lastAt = at;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /**
   * Resolves once every expected message arrived, or when nothing new arrived for `stallMs`
   * (the caller reports what is missing rather than waiting forever).
   */
  async complete(stallMs: number): Promise<boolean> {
    while (this.unique < this.expected) {
      const before = this.unique;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, stallMs);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (this.unique === before) return false;
    }
    return true;
  }

  /** Arrivals at or after `from` (performance.now()). */
  arrivedSince(from: number): number {
    let n = 0;
    for (const at of this.times) if (at >= from) n++;
    return n;
  }
}

// ---------------------------------------------------------------------------------------
// The webhook receiver.

export interface WebhookReceiver {
  /** http://127.0.0.1:PORT/hook */
  url: string;
  open(collection: Collection): void;
  /** Requests that could not be read as a delivery (no webhook-id, bad JSON). */
  readonly malformed: number;
  close(): Promise<void>;
}

interface Delivery {
  type?: unknown;
  data?: { bench?: { run?: unknown; seq?: unknown } };
}

/**
 * Answers every POST 204 once its body is read, recording its arrival against the
 * collection its payload names. The signature is checked as a receiver would (HMAC-SHA256
 * of `id.timestamp.body` under the endpoint secret), on every delivery.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const collections = new Map<string, Collection>();
  let malformed = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = performance.now();
      const id = req.headers['webhook-id'];
      const body = Buffer.concat(chunks);
      let parsed: Delivery | null = null;
      try {
        parsed = JSON.parse(body.toString('utf8')) as Delivery;
      } catch {
        parsed = null;
      }
      const run = parsed?.data?.bench?.run;
      const collection = typeof run === 'string' ? collections.get(run) : undefined;
      if (typeof id !== 'string' || !collection) {
        malformed++;
      } else {
        if (collection.secret && !signed(req.headers, id, body, collection.secret)) {
          collection.badSignatures++;
        }
        const seq = parsed?.data?.bench?.seq;
        collection.record(id, typeof seq === 'number' ? seq : -1, at);
      }
      res.writeHead(204).end();
    });
  });
  // Kept-alive connections outlive the pauses between phases (Node's default is 5 s).
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    open: (collection) => collections.set(collection.run, collection),
    get malformed() {
      return malformed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function signed(
  headers: Record<string, string | string[] | undefined>,
  id: string,
  body: Buffer,
  secret: Buffer,
): boolean {
  const timestamp = headers['webhook-timestamp'];
  const signature = headers['webhook-signature'];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  const expected = createHmac('sha256', secret).update(`${id}.${timestamp}.`).update(body).digest();
  return signature.split(' ').some((part) => {
    const [version, value] = part.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/** The bytes a Standard Webhooks sender puts on the wire for one message, signed. */
export function webhookRequest(
  secret: Buffer,
  id: string,
  eventType: string,
  createdAt: string,
  data: Record<string, unknown>,
): { headers: Record<string, string>; body: string } {
  const body = JSON.stringify({ type: eventType, timestamp: createdAt, data });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest();
  return {
    headers: {
      'content-type': 'application/json',
      'user-agent': 'cabinet-bench/raw',
      'webhook-id': id,
      'webhook-timestamp': timestamp,
      'webhook-signature': `v1,${signature.toString('base64')}`,
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

export const randomWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

// ---------------------------------------------------------------------------------------
// Baseline: raw keep-alive POSTs from the bench process.

function post(
  agent: Agent,
  url: URL,
  message: { headers: Record<string, string>; body: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: message.headers,
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(message.body);
  });
}

/**
 * `count` POSTs of the bytes `make(seq)` answers, `inFlight` at once over as many keep-alive
 * connections; resolves when every answer was read, with the wall time (ms).
 */
export async function rawPostBurst(
  target: string,
  count: number,
  inFlight: number,
  make: (seq: number) => { headers: Record<string, string>; body: string },
): Promise<number> {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight, maxFreeSockets: inFlight });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(inFlight, count) }, async () => {
        while (next < count) {
          const status = await post(agent, url, make(next++));
          if (status !== 204) throw new Error(`the receiver answered ${status}`);
        }
      }),
    );
    return performance.now() - started;
  } finally {
    agent.destroy();
  }
}

/**
 * POSTs at `rate` per second for `count` messages (each sent when due, however many are in
 * flight), recording when each was sent: the network-and-receiver floor of the
 * commit-to-delivery delay at that rate.
 */
export async function rawPostPaced(
  target: string,
  count: number,
  rate: number,
  make: (seq: number) => { headers: Record<string, string>; body: string },
): Promise<{ sentAt: Float64Array; wallMs: number }> {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64 });
  const sentAt = new Float64Array(count);
  const pending: Promise<number>[] = [];
  try {
    const started = performance.now();
    await pace(count, rate, started, (seq) => {
      sentAt[seq] = performance.now();
      pending.push(post(agent, url, make(seq)));
    });
    await Promise.all(pending);
    return { sentAt, wallMs: performance.now() - started };
  } finally {
    agent.destroy();
  }
}

/**
 * Calls `launch(seq)` for seq 0…count-1, each once its time (started + seq / rate) has come,
 * checking the clock every millisecond or so. `canLaunch` may hold back a launch (a bound on
 * work in flight); a message held back goes as soon as it is allowed.
 */
export async function pace(
  count: number,
  rate: number,
  started: number,
  launch: (seq: number) => void,
  canLaunch: () => boolean = () => true,
): Promise<void> {
  let next = 0;
  while (next < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    while (next < due && canLaunch()) launch(next++);
    if (next < count) await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

// ---------------------------------------------------------------------------------------
// The SMTP receiver.

export interface SmtpReceiver {
  port: number;
  /** smtp://127.0.0.1:PORT */
  url: string;
  /** Mails arriving from now on go to `collection` (null: counted as strays). */
  open(collection: Collection | null): void;
  readonly strays: number;
  close(): Promise<void>;
}

const OUTBOX_ID_HEADER = /^x-cabinet-outbox-id:[ \t]*(\S+)\r\n/im;

/**
 * smtp-server on loopback, no authentication, no STARTTLS; each mail is read to its end and
 * counted by its X-Cabinet-Outbox-Id header (the outbox message id; the raw baseline sets
 * one of its own), found in the header block without parsing the whole mail.
 */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  let current: Collection | null = null;
  let strays = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    // Each pooled connection sends up to 100 mails (nodemailer's maxMessages): no limit here.
    maxClients: 256,
    onData(stream, _session, callback) {
      let head = '';
      let id: string | null = null;
      let looking = true;
      stream.on('data', (chunk: Buffer) => {
        if (!looking) return;
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        const match = OUTBOX_ID_HEADER.exec(end === -1 ? head : head.slice(0, end));
        if (match) id = match[1]!;
        // Found it, or the header block ended (or grew absurd) without it: stop looking.
        if (match || end !== -1 || head.length > 64 * 1024) looking = false;
      });
      stream.on('end', () => {
        const at = performance.now();
        if (id === null || current === null) strays++;
        else current.record(id, null, at);
        callback();
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    open: (collection) => {
      current = collection;
    },
    get strays() {
      return strays;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface RawMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

/**
 * `count` mails through one pooled nodemailer transport (as the email channel configures
 * it: `maxConnections` connections, 100 mails each), `inFlight` sendMail calls at once.
 */
export async function rawMailBurst(
  smtpPort: number,
  count: number,
  inFlight: number,
  maxConnections: number,
  make: (seq: number) => RawMail,
): Promise<number> {
  const transport = createTransport({
    pool: true,
    maxConnections,
    maxMessages: 100,
    host: '127.0.0.1',
    port: smtpPort,
    secure: false,
    logger: false,
    debug: false,
  });
  try {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(inFlight, count) }, async () => {
        while (next < count) {
          const mail = make(next++);
          const info = await transport.sendMail({
            ...mail,
            disableFileAccess: true,
            disableUrlAccess: true,
          });
          if ((info.rejected ?? []).length > 0) throw new Error('the receiver refused a mail');
        }
      }),
    );
    return performance.now() - started;
  } finally {
    transport.close();
  }
}
