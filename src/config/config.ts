import { resolve } from 'node:path';
import { z } from 'zod';

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
  smtpUrl: string | null;
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
}

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
  CABINET_SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://'),
  CABINET_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  CABINET_MAX_UPLOAD_BYTES: integer(1024, Number.MAX_SAFE_INTEGER),
  CABINET_MAX_BODY_BYTES: integer(1024, 1024 * 1024 * 1024),
  CABINET_CHECKPOINT_INTERVAL_SECONDS: integer(1, 86_400),
  CABINET_EXCEPTION_MAX_DAYS: integer(1, 3_650),
  CABINET_STALE_UPLOAD_HOURS: integer(1, 8_760),
  CABINET_AUTHORIZATION_DAYS: integer(1, 365),
  CABINET_POST_REVIEW_DAYS: integer(1, 90),
} as const;

type Variable = keyof typeof variables;

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
    throw new ConfigError(
      name,
      `${issue?.message ?? 'invalid value'} (got ${JSON.stringify(raw)})`,
    );
  }
  return parsed.data as z.output<(typeof variables)[V]>;
}

/** Reads and validates the CABINET_* variables; the first bad one throws a ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(read(env, 'CABINET_DATA_DIR') ?? './data');
  const keyFile = read(env, 'CABINET_SIGNING_KEY_FILE');
  return {
    port: read(env, 'CABINET_PORT') ?? 8080,
    host: read(env, 'CABINET_HOST') ?? '127.0.0.1',
    dataDir,
    databaseUrl: read(env, 'CABINET_DATABASE_URL') ?? `sqlite:${resolve(dataDir, 'cabinet.db')}`,
    signingKeyFile: keyFile ? resolve(keyFile) : resolve(dataDir, 'signing-key.pem'),
    generateSigningKey: keyFile === undefined,
    smtpUrl: read(env, 'CABINET_SMTP_URL') ?? null,
    logLevel: read(env, 'CABINET_LOG_LEVEL') ?? 'info',
    maxUploadBytes: read(env, 'CABINET_MAX_UPLOAD_BYTES') ?? 1024 * 1024 * 1024,
    maxBodyBytes: read(env, 'CABINET_MAX_BODY_BYTES') ?? 1024 * 1024,
    checkpointIntervalSeconds: read(env, 'CABINET_CHECKPOINT_INTERVAL_SECONDS') ?? 300,
    exceptionMaxDays: read(env, 'CABINET_EXCEPTION_MAX_DAYS') ?? 90,
    staleUploadHours: read(env, 'CABINET_STALE_UPLOAD_HOURS') ?? 24,
    authorizationDays: read(env, 'CABINET_AUTHORIZATION_DAYS') ?? 14,
    postReviewDays: read(env, 'CABINET_POST_REVIEW_DAYS') ?? 5,
  };
}
