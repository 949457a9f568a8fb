/**
 * Runs bench/cab-server-child.ts (the real server) in fresh node processes. As the other
 * benches do for their children, the child runs as plain JavaScript when it can (an esbuild
 * bundle beside a node_modules link), as `cabinet serve` from the built package does,
 * rather than under the tsx loader.
 */
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerReady } from './cab-server-child.js';
import { bundleChild, type ChildEntry } from './child-bundle.js';

const childScript = fileURLToPath(new URL('./cab-server-child.ts', import.meta.url));

export type { ChildEntry };

export function prepareServerChild(workDir: string): Promise<ChildEntry> {
  return bundleChild(workDir, 'cab-server-child', { 'cab-server-child': childScript });
}

export interface ServerProcess extends ServerReady {
  stop(): Promise<void>;
}

/**
 * One server process on the database `env` names, until stop(). With CABINET_BENCH_CPU_PROF
 * set, the process writes a V8 CPU profile named `cab-<profileAs>` there when it exits.
 */
export function startServerProcess(
  entry: ChildEntry,
  env: Record<string, string>,
  profileAs: string,
): Promise<ServerProcess> {
  const execArgv = [...entry.execArgv];
  const profileDir = process.env.CABINET_BENCH_CPU_PROF;
  if (profileDir) {
    mkdirSync(resolve(profileDir), { recursive: true });
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${resolve(profileDir)}`,
      `--cpu-prof-name=cab-${profileAs}.cpuprofile`,
    );
  }
  return new Promise((done, fail) => {
    const child = fork(entry.script, [], {
      env: {
        ...process.env,
        ...env,
        CABINET_PORT: '0',
        CABINET_HOST: '127.0.0.1',
        CABINET_LOG_LEVEL: process.env.CABINET_BENCH_LOG_LEVEL ?? 'silent',
      },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let ready = false;
    const closed = new Promise<void>((settle, reject) => {
      child.on('close', (code, signal) =>
        code === 0 ? settle() : reject(new Error(`the server child exited with ${signal ?? code}`)),
      );
    });
    closed.catch((error: unknown) => {
      if (!ready) fail(error);
    });
    child.on('error', fail);
    child.once('message', (message) => {
      ready = true;
      done({
        ...(message as ServerReady),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null && child.connected) {
            child.send('stop');
          }
          await closed;
        },
      });
    });
  });
}
