import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { TestApp } from './test-app.js';

export interface ServerChild {
  process: ChildProcess;
  url: string;
  /** Asks the server to stop (as on SIGTERM) and waits; a killed child is already gone. */
  stop(): Promise<void>;
}

/**
 * Another cabinet server process on the test app's database, listening on a free loopback
 * port. `script` is the child's module source (run by tsx from the repository root): it starts
 * the server, prints `url <address>` and stops when its stdin has a line.
 */
export async function startServerChild(
  t: TestApp,
  script: string,
  env: Record<string, string> = {},
): Promise<ServerChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: {
      ...process.env,
      CABINET_DATA_DIR: t.database.dataDir,
      CABINET_DATABASE_URL: t.database.url,
      CABINET_LOG_LEVEL: 'silent',
      CABINET_PORT: '0',
      CABINET_HOST: '127.0.0.1',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const match = /url (\S+)\n/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
  return {
    process: child,
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const closed = once(child, 'close');
      child.stdin!.end('stop\n');
      await closed;
    },
  };
}
