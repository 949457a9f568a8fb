import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { redactUrl } from '../notify/redact.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `sqlite:<file>` or `postgres://…`; defaults to `<dataDir>/cabinet.db`. */
  databaseUrl: string;
  signingKeyFile: string;
  /** True when the key file was not given and may be generated on first start. */
  generateSigningKey: boolean;
  /** `smtp://` or `smtps://`, credentials allowed in the URL; null: email is not sent. */
  smtpUrl: string | null;
  /** The From of every email: an address or `Name <address>` (CABINET_MAIL_FROM). */
  mailFrom: string;
  /** Where the dashboard is, for links in emails; no trailing slash (CABINET_PUBLIC_URL). */
  publicUrl: string;
  /** Days before an exception's expiry to remind of it, descending (CABINET_EXCEPTION_REMINDER_DAYS). */
  exceptionReminderDays: number[];
  logLevel: LogLevel;
  maxUploadBytes: number;
  maxBodyBytes: number;
  checkpointIntervalSeconds: number;
  /** The furthest ahead, in days, an exception may be set to expire. */
  exceptionMaxDays: number;
  /** How long a CAB approval authorises deployment (CABINET_AUTHORIZATION_DAYS, 14). */
  authorizationDays: number;
  /** Days after an emergency approval by which its post-implementation review is due (5). */
  postReviewDays: number;
  /** An upload unfinished after this many hours is abandoned: the sweep removes its parts. */
  staleUploadHours: number;
  /** How long a dashboard session lasts, absolute from sign-in (CABINET_SESSION_HOURS, 8). */
  sessionHours: number;
  /** The built dashboard (Vite's output) served at `/` (CABINET_WEB_DIR, `web/dist`). */
  webDir: string;
}

/** The built dashboard beside the package (`src/config` and `dist/config` are both two deep). */
const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/**
 * `Name <address>` or a bare address. The name is a quoted string or plain words (no
 * `,;<>"@`, which would make it a second address); no control characters anywhere, so
 * the value cannot smuggle a header line into a message.
 */
const ADDRESS =
  "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*";
const NAME = '(?:"(?:[^"\\\\\\p{Cc}]|\\\\[^\\p{Cc}])*"|[^"<>,;@\\p{Cc}]+)';
const MAIL_FROM = new RegExp(`^(?:${ADDRESS}|${NAME}\\s*<${ADDRESS}>)$`, 'u');

const variables = {
  CABINET_PORT: integer(0, 65_535),
  CABINET_HOST: z.string().min(1),
  CABINET_DATA_DIR: z.string().min(1),
  CABINET_DATABASE_URL: z
    .string()
    .regex(
      /^(postgres(ql)?:\/\/|sqlite:)/,
      'must start with postgres://, postgresql:// or sqlite:',
    ),
  CABINET_SIGNING_KEY_FILE: z.string().min(1),
  CABINET_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .refine(isSmtpUrl, {
      message:
        'must be smtp://[user:password@]host[:port] or smtps://… with a host and nothing after it (no path, query or fragment: cabinet sets pooling, timeouts and TLS itself)',
    }),
  CABINET_MAIL_FROM: z
    .string()
    .trim()
    .max(320, 'must be at most 320 characters')
    .regex(MAIL_FROM, 'must be an address (cabinet@example.org) or Name <address>'),
  CABINET_PUBLIC_URL: z
    .string()
    .trim()
    .refine(isPublicUrl, {
      message:
        'must be an http:// or https:// URL with a host and no credentials, query or fragment (such as https://cabinet.example.org)',
    })
    .transform((url) => url.replace(/\/+$/, '')),
  CABINET_EXCEPTION_REMINDER_DAYS: z
    .string()
    .regex(
      /^\s*\d{1,4}\s*(,\s*\d{1,4}\s*)*$/,
      'must be a comma-separated list of whole numbers of days between 1 and 3650, such as 7,1',
    )
    .transform((list) => [...new Set(list.split(',').map(Number))].sort((a, b) => b - a))
    .pipe(
      z.array(
        z
          .number()
          .int()
          .min(1, 'each day count must be between 1 and 3650')
          .max(3_650, 'each day count must be between 1 and 3650'),
      ),
    ),
  CABINET_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  CABINET_MAX_UPLOAD_BYTES: integer(1024, Number.MAX_SAFE_INTEGER),
  CABINET_MAX_BODY_BYTES: integer(1024, 1024 * 1024 * 1024),
  CABINET_CHECKPOINT_INTERVAL_SECONDS: integer(1, 86_400),
  CABINET_EXCEPTION_MAX_DAYS: integer(1, 3_650),
  CABINET_STALE_UPLOAD_HOURS: integer(1, 8_760),
  CABINET_AUTHORIZATION_DAYS: integer(1, 365),
  CABINET_POST_REVIEW_DAYS: integer(1, 90),
  CABINET_SESSION_HOURS: integer(1, 720),
  CABINET_WEB_DIR: z.string().min(1),
} as const;

type Variable = keyof typeof variables;

/** Variables whose value may carry a secret: an error quotes them with it masked. */
const SECRET_URLS: ReadonlySet<Variable> = new Set(['CABINET_SMTP_URL']);

/** Errors quote a value bounded: a pasted file must not become a screenful of error. */
const QUOTE_MAX = 200;

function quoted(name: Variable, raw: string): string {
  const shown = SECRET_URLS.has(name) ? redactUrl(raw) : raw;
  const bounded = shown.length > QUOTE_MAX ? `${shown.slice(0, QUOTE_MAX)}…` : shown;
  return JSON.stringify(bounded);
}

function read<V extends Variable>(
  env: NodeJS.ProcessEnv,
  name: V,
): z.output<(typeof variables)[V]> | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return undefined;
  }
  const parsed = variables[name].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(name, `${issue?.message ?? 'invalid value'} (got ${quoted(name, raw)})`);
  }
  return parsed.data as z.output<(typeof variables)[V]>;
}

/** Reads and validates the CABINET_* variables; the first bad one throws a ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(read(env, 'CABINET_DATA_DIR') ?? './data');
  const keyFile = read(env, 'CABINET_SIGNING_KEY_FILE');
  const port = read(env, 'CABINET_PORT') ?? 8080;
  const host = read(env, 'CABINET_HOST') ?? '127.0.0.1';
  return {
    port,
    host,
    dataDir,
    databaseUrl: read(env, 'CABINET_DATABASE_URL') ?? `sqlite:${resolve(dataDir, 'cabinet.db')}`,
    signingKeyFile: keyFile ? resolve(keyFile) : resolve(dataDir, 'signing-key.pem'),
    generateSigningKey: keyFile === undefined,
    smtpUrl: read(env, 'CABINET_SMTP_URL') ?? null,
    mailFrom: read(env, 'CABINET_MAIL_FROM') ?? 'cabinet <cabinet@localhost>',
    publicUrl: read(env, 'CABINET_PUBLIC_URL') ?? derivedPublicUrl(host, port),
    exceptionReminderDays: read(env, 'CABINET_EXCEPTION_REMINDER_DAYS') ?? [7, 1],
    logLevel: read(env, 'CABINET_LOG_LEVEL') ?? 'info',
    maxUploadBytes: read(env, 'CABINET_MAX_UPLOAD_BYTES') ?? 1024 * 1024 * 1024,
    maxBodyBytes: read(env, 'CABINET_MAX_BODY_BYTES') ?? 1024 * 1024,
    checkpointIntervalSeconds: read(env, 'CABINET_CHECKPOINT_INTERVAL_SECONDS') ?? 300,
    exceptionMaxDays: read(env, 'CABINET_EXCEPTION_MAX_DAYS') ?? 90,
    staleUploadHours: read(env, 'CABINET_STALE_UPLOAD_HOURS') ?? 24,
    authorizationDays: read(env, 'CABINET_AUTHORIZATION_DAYS') ?? 14,
    postReviewDays: read(env, 'CABINET_POST_REVIEW_DAYS') ?? 5,
    sessionHours: read(env, 'CABINET_SESSION_HOURS') ?? 8,
    webDir: resolve(read(env, 'CABINET_WEB_DIR') ?? DEFAULT_WEB_DIR),
  };
}

function isSmtpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      url.hostname !== '' &&
      (url.pathname === '' || url.pathname === '/') &&
      url.search === '' &&
      url.hash === ''
    );
  } catch {
    return false;
  }
}

function isPublicUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.hostname !== '' &&
      url.username === '' &&
      url.password === '' &&
      url.search === '' &&
      url.hash === '' &&
      !value.includes('?') &&
      !value.includes('#')
    );
  } catch {
    return false;
  }
}

/**
 * Where the dashboard is when CABINET_PUBLIC_URL is not set: this server's own address. A
 * wildcard bind address is not somewhere a browser can go: loopback stands in for it.
 */
function derivedPublicUrl(host: string, port: number): string {
  const name = host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host;
  const bracketed = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  return `http://${bracketed}:${port}`;
}
