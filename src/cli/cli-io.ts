// Only light modules load statically: every command pays for this file's imports at start,
// and `cabinet gate` in a pipeline must start in a blink. The container comes on demand.
import { userInfo } from 'node:os';
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

/** Streams whose reader went away: what would have been written there is dropped. */
const closedStreams = new WeakSet<NodeJS.WriteStream>();
const watchedStreams = new WeakSet<NodeJS.WriteStream>();

/**
 * `cabinet tokens list | head` closes the pipe after ten lines; the next write fails with
 * EPIPE, emitted as an 'error' event that would crash the process with a stack trace. A reader
 * that has seen enough is not a failure: later output is dropped and the command still ends
 * with its own exit code (so `cabinet gate … | head` cannot turn a refusal into a pass).
 */
function writeLine(stream: NodeJS.WriteStream, line: string): void {
  if (!watchedStreams.has(stream)) {
    watchedStreams.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      closedStreams.add(stream);
    });
  }
  if (!closedStreams.has(stream)) stream.write(`${line}\n`);
}

export const processIo: CliIo = {
  out: (line) => writeLine(process.stdout, line),
  err: (line) => writeLine(process.stderr, line),
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
  return { actorId: `cli:${operatorName(env)}`, roles: ['admin'], correlationId: null };
}

/**
 * `$USER` is often empty or unset (cron, `docker exec`, systemd units), and an audit trail of
 * `cli:unknown` names no one: ask the OS for the account name before giving up.
 */
function operatorName(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.USER?.trim() || env.LOGNAME?.trim();
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username || 'unknown';
  } catch {
    // A uid with no passwd entry (common in containers) makes userInfo() throw.
    return 'unknown';
  }
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
