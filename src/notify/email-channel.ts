import { createTransport } from 'nodemailer';
import type { Config } from '../config/config.js';
import type { Channel, DeliveryResult } from '../outbox/channel.js';
import type { OutboxMessage } from '../outbox/outbox-store.js';
import { renderMail } from './mail-templates.js';
import { redact, redactUrl, secretsOf } from './redact.js';

/** How long each step may take before the attempt fails instead of waiting. */
export interface EmailTimeouts {
  /** TCP (and TLS for smtps://) connect. */
  connectionMs: number;
  /** From connected to the server's 220 greeting: a server that accepts and never speaks. */
  greetingMs: number;
  /** Silence on an open connection. */
  socketMs: number;
  /**
   * The whole attempt, queueing in the pool included. Socket timeouts reset on every byte,
   * so a server trickling its replies would hold an attempt forever without this.
   */
  deliveryMs: number;
}

export const DEFAULT_EMAIL_TIMEOUTS: EmailTimeouts = {
  connectionMs: 15_000,
  greetingMs: 15_000,
  socketMs: 15_000,
  deliveryMs: 60_000,
};

export interface EmailChannelOptions {
  /** CABINET_SMTP_URL; null leaves the channel disabled (its messages wait). */
  smtpUrl: string | null;
  /** CABINET_MAIL_FROM. */
  from: string;
  /** CABINET_PUBLIC_URL: links in the mails, and the domain of their Message-IDs. */
  publicUrl: string;
  timeouts?: Partial<EmailTimeouts>;
  /** Parallel SMTP connections (default 3). */
  maxConnections?: number;
  /**
   * TLS settings handed to the connection, for a test's self-signed receiver. Never read
   * from the environment: certificate checks stay on unless code asks otherwise.
   */
  tls?: { rejectUnauthorized?: boolean; servername?: string };
}

/** Error texts stored with an attempt stay one short line. */
const ERROR_MAX = 300;

type Transport = ReturnType<typeof createTransport>;

/**
 * Email over SMTP (nodemailer, pooled). The dispatcher calls `deliver` after commit; every
 * outcome, the server's faults included, comes back as a DeliveryResult and never as a
 * rejection. The Message-ID is derived from the outbox message id, so a mail sent twice
 * after a crash (the lease ran out mid-send) carries the same id both times and a mail
 * client or a receiving system can tell it is one message.
 */
export class EmailChannel implements Channel {
  readonly name = 'email' as const;
  readonly enabled: boolean;
  /** The SMTP URL with its credentials masked, for logs. */
  readonly target: string | null;
  readonly #transport: Transport | null;
  readonly #from: string;
  readonly #publicUrl: string;
  readonly #domain: string;
  readonly #secrets: string[];
  readonly #timeouts: EmailTimeouts;

  constructor(options: EmailChannelOptions) {
    this.#from = options.from;
    this.#publicUrl = options.publicUrl.replace(/\/+$/, '');
    this.#domain = messageIdDomain(this.#publicUrl);
    this.#secrets = secretsOf(options.smtpUrl);
    this.#timeouts = { ...DEFAULT_EMAIL_TIMEOUTS, ...options.timeouts };
    this.target = options.smtpUrl ? redactUrl(options.smtpUrl) : null;
    this.#transport = options.smtpUrl ? this.#createTransport(options.smtpUrl, options) : null;
    this.enabled = this.#transport !== null;
  }

  static fromConfig(config: Config): EmailChannel {
    return new EmailChannel({
      smtpUrl: config.smtpUrl,
      from: config.mailFrom,
      publicUrl: config.publicUrl,
    });
  }

  async deliver(message: OutboxMessage): Promise<DeliveryResult> {
    try {
      if (!this.#transport) {
        return { outcome: 'failed', error: 'email is not configured (CABINET_SMTP_URL is unset)' };
      }
      const to = [...new Set(message.recipients.map((r) => r.email).filter((e) => e !== ''))];
      if (to.length === 0) {
        return { outcome: 'failed', error: 'the message names no recipient', permanent: true };
      }
      const mail = renderMail(message, this.#publicUrl);
      const info = await this.#transport.sendMail({
        from: this.#from,
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: `<${message.id}@${this.#domain}>`,
        // Mails about one request or exception thread together in a mail client.
        ...(message.subject_id ? { references: `<${message.subject_id}@${this.#domain}>` } : {}),
        headers: {
          'X-Cabinet-Outbox-Id': message.id,
          'X-Cabinet-Event': message.event_type,
          // RFC 3834: out-of-office responders do not answer a machine.
          'Auto-Submitted': 'auto-generated',
        },
        // The mail is built from templates alone: nothing in it may make nodemailer read a
        // file or fetch a URL.
        disableFileAccess: true,
        disableUrlAccess: true,
        signal: AbortSignal.timeout(this.#timeouts.deliveryMs),
      });
      const rejected = (info.rejected ?? []).map(String);
      if (rejected.length === 0)
        return { outcome: 'delivered', statusCode: replyCode(info.response) };
      return {
        outcome: 'delivered',
        statusCode: replyCode(info.response),
        note: this.#text(`refused by the server: ${rejected.join(', ')}`),
      };
    } catch (error) {
      try {
        return this.#failure(error);
      } catch {
        // An error that cannot even be described (a hostile toString) still settles.
        return { outcome: 'failed', error: 'SMTP delivery failed' };
      }
    }
  }

  async close(): Promise<void> {
    this.#transport?.close();
  }

  #createTransport(smtpUrl: string, options: EmailChannelOptions): Transport {
    let url: URL;
    try {
      url = new URL(smtpUrl);
    } catch {
      // Not the URL's own TypeError: it carries the input, password included.
      throw new Error(`not an SMTP URL: ${redactUrl(smtpUrl)}`);
    }
    const secure = url.protocol === 'smtps:';
    const user = decode(url.username);
    const pass = decode(url.password);
    // Built from the URL's parts rather than handed the URL: nodemailer would read options
    // (tls.rejectUnauthorized among them) from a query string, and TLS checks are not
    // something the environment may switch off.
    return createTransport({
      pool: true,
      maxConnections: options.maxConnections ?? 3,
      maxMessages: 100,
      // A connection the server dropped while idle is retried once on a fresh one; every
      // other retry is the outbox's, on its schedule, with the attempt recorded.
      maxRequeues: 1,
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      ...(user || pass ? { auth: { user, pass } } : {}),
      connectionTimeout: this.#timeouts.connectionMs,
      greetingTimeout: this.#timeouts.greetingMs,
      socketTimeout: this.#timeouts.socketMs,
      dnsTimeout: this.#timeouts.connectionMs,
      ...(options.tls ? { tls: { ...options.tls } } : {}),
      logger: false,
      debug: false,
    });
  }

  #failure(error: unknown): DeliveryResult {
    const e = (error ?? {}) as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
      responseCode?: unknown;
      response?: unknown;
      command?: unknown;
      originalCode?: unknown;
    };
    const responseCode = typeof e.responseCode === 'number' ? e.responseCode : null;
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.code === 'ABORT_ERR') {
      return {
        outcome: 'failed',
        error: `SMTP delivery took longer than ${seconds(this.#timeouts.deliveryMs)} and was abandoned`,
      };
    }
    const code = typeof e.code === 'string' ? e.code : 'ERROR';
    const parts = [`SMTP ${code}`];
    if (typeof e.originalCode === 'string' && e.originalCode !== code)
      parts.push(`(${e.originalCode})`);
    if (typeof e.command === 'string' && e.command !== 'API') parts.push(`at ${e.command}`);
    const message = typeof e.message === 'string' ? e.message : String(error);
    const response = typeof e.response === 'string' ? e.response : '';
    let text = `${parts.join(' ')}: ${message}`;
    if (response && !message.includes(response)) text += ` (server said: ${response})`;
    return { outcome: 'failed', error: this.#text(text), statusCode: responseCode };
  }

  /** One flat line, bounded, with every form of the SMTP credentials masked. */
  #text(text: string): string {
    const flat = redact(text, this.#secrets)
      .replace(/[\p{Cc}]+/gu, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return flat.length > ERROR_MAX ? `${flat.slice(0, ERROR_MAX - 1)}…` : flat;
  }
}

/** `cabinet.<host of the public URL>`, in characters a Message-ID's right side allows. */
function messageIdDomain(publicUrl: string): string {
  let host = 'localhost';
  try {
    host = new URL(publicUrl).hostname || host;
  } catch {
    // The configuration validated the URL; a test passing nonsense still gets an id.
  }
  const safe = host
    .replace(/[^A-Za-z0-9.-]+/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .toLowerCase();
  return `cabinet.${safe || 'localhost'}`;
}

/** The SMTP reply code that starts a response line (`250 OK: queued`), or null. */
function replyCode(response: unknown): number | null {
  const match = typeof response === 'string' ? /^(\d{3})\b/.exec(response) : null;
  return match ? Number(match[1]) : null;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
