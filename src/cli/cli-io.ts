// Only light modules load statically: every command pays for this file's imports at start,
// and `cabinet gate` in a pipeline must start in a blink. The container comes on demand.
import type { Container } from '../composition-root.js';
import type { Config, ConfigError } from '../config/config.js';
import type { Context } from '../platform/context.js';
import { DomainError } from '../platform/errors.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); `serve` waits on it. */
  untilStopped(): Promise<void>;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  untilStopped: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
};

/** Thrown to end a command with an exit code after its message was printed. */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** The operator at the terminal: local admin commands act with admin rights, audited as cli. */
export function cliContext(env: NodeJS.ProcessEnv): Context {
  const who = env.USER ?? env.LOGNAME ?? 'unknown';
  return { actorId: `cli:${who}`, roles: ['admin'], correlationId: null };
}

export async function withContainer<T>(
  io: CliIo,
  work: (container: Container, config: Config) => Promise<T>,
): Promise<T> {
  const { loadConfig } = await import('../config/config.js');
  const config = loadConfig(io.env);
  const { createContainer } = await import('../composition-root.js');
  const container = await createContainer(config);
  try {
    return await work(container, config);
  } finally {
    await container.close();
  }
}

/** Maps a failure to one line on stderr and an exit code: 2 for bad input, 1 otherwise. */
export function reportFailure(io: CliIo, error: unknown): number {
  if (error instanceof CliExit) return error.code;
  if (isConfigError(error)) {
    io.err(`error: ${error.message}`);
    return 2;
  }
  if (error instanceof DomainError) {
    io.err(`error: ${error.message}`);
    for (const detail of error.errors) io.err(`  ${detail.path}: ${detail.message}`);
    return 2;
  }
  io.err(`error: ${(error as Error).message ?? String(error)}`);
  return 1;
}

/** By name, not instanceof: importing config.ts (and zod) here would slow every command. */
function isConfigError(error: unknown): error is ConfigError {
  return error instanceof Error && error.name === 'ConfigError' && 'variable' in error;
}

export function printTable(io: CliIo, items: readonly object[], columns: string[]): void {
  const rows = items as Record<string, unknown>[];
  if (rows.length === 0) {
    io.out('(none)');
    return;
  }
  const cell = (value: unknown) =>
    Array.isArray(value)
      ? value.join(',')
      : value === null || value === undefined
        ? '-'
        : String(value);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  io.out(columns.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const row of rows) {
    io.out(
      columns
        .map((c, i) => cell(row[c]).padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  }
}
