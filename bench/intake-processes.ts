/**
 * Runs bench/intake-child.ts in fresh node processes. As bench/audit.ts does for its verify
 * child, the child runs as plain JavaScript when it can: esbuild bundles the child and the
 * parse worker (src/evidence/parse-worker.ts, which the ParsePool starts beside its own
 * module once built) into a work directory beside a node_modules link. Under the tsx loader
 * instead, the process and every parse worker would carry tsx's loader thread, tens of MB
 * of RSS that `cabinet serve` from the built package never has.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleChild, type ChildEntry } from './child-bundle.js';
import type { IntakeChildMode, MemoryMode, MemoryReport, ServeReport } from './intake-child.js';

const childScript = fileURLToPath(new URL('./intake-child.ts', import.meta.url));
const parseWorker = fileURLToPath(new URL('../src/evidence/parse-worker.ts', import.meta.url));
const peHashWorker = fileURLToPath(new URL('../src/artifacts/pe-hash-worker.ts', import.meta.url));

export type { ChildEntry };

export function prepareIntakeChild(workDir: string): Promise<ChildEntry> {
  return bundleChild(workDir, 'intake-child', {
    'intake-child': childScript,
    'parse-worker': parseWorker,
    'pe-hash-worker': peHashWorker,
  });
}

function forkChild(
  entry: ChildEntry,
  args: string[],
  env: Record<string, string>,
  profileAs: string | null,
): ChildProcess {
  const execArgv = [...entry.execArgv];
  const profileDir = process.env.CABINET_BENCH_CPU_PROF;
  if (profileDir && profileAs) {
    mkdirSync(resolve(profileDir), { recursive: true });
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${resolve(profileDir)}`,
      `--cpu-prof-name=intake-${profileAs}.cpuprofile`,
    );
  }
  return fork(entry.script, args, {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** One measured operation in a fresh process; resolves with what the child reported. */
export function runMemoryChild(
  entry: ChildEntry,
  mode: MemoryMode,
  args: { file: string; kind: string; warmUpFile?: string | undefined },
  env: Record<string, string>,
): Promise<MemoryReport> {
  const argv = [mode, args.file, args.kind, ...(args.warmUpFile ? [args.warmUpFile] : [])];
  return new Promise((done, fail) => {
    const child = forkChild(entry, argv, env, mode);
    let report: MemoryReport | null = null;
    child.on('message', (message) => {
      report = message as MemoryReport;
    });
    child.on('error', fail);
    // 'close' rather than 'exit': it follows the IPC channel's last message.
    child.on('close', (code, signal) => {
      if (code === 0 && report) done(report);
      else fail(new Error(`the ${mode} child exited with ${signal ?? code} and no report`));
    });
  });
}

export interface RunningServer extends ServeReport {
  stop(): Promise<void>;
}

/** The real app (or, `bare`, a server that only hashes bodies) in a child process until stop(). */
export function startServerChild(
  entry: ChildEntry,
  env: Record<string, string>,
  options: { profileAs?: string; bare?: boolean } = {},
): Promise<RunningServer> {
  return new Promise((done, fail) => {
    const mode: IntakeChildMode = options.bare ? 'hash-serve' : 'serve';
    const child = forkChild(entry, [mode], env, options.profileAs ?? null);
    const closed = new Promise<void>((settle, reject) => {
      child.on('close', (code, signal) =>
        code === 0 ? settle() : reject(new Error(`the server child exited with ${signal ?? code}`)),
      );
    });
    closed.catch(fail);
    child.on('error', fail);
    child.once('message', (message) => {
      done({
        ...(message as ServeReport),
        stop: async () => {
          child.send('stop');
          await closed;
        },
      });
    });
  });
}
