import type { CliIo } from '../src/cli/cli-io.js';
import { main } from '../src/cli/main.js';

/** A CliIo that records what the CLI prints, for in-process `main(argv, io)` runs. */
export function capture(
  env: NodeJS.ProcessEnv,
  untilStopped: () => Promise<void> = async () => {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, untilStopped };
  return { io, out, err };
}

/** expect.poll is for tests only; hooks wait with this. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('the server did not start in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface ServedInProcess {
  url: string;
  /** Everything `cabinet serve` has printed so far. */
  output(): string;
  /** Stops the server; throws when it exited with anything but 0. */
  stop(): Promise<void>;
}

/** `cabinet serve` in this process, with `env`, until stop(): for CLI tests that need a server. */
export async function serveInProcess(env: NodeJS.ProcessEnv): Promise<ServedInProcess> {
  let release: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = capture(env, () => stopped);
  const running = main(['serve'], server.io);
  const output = () => server.out.join('\n');
  const url = await waitFor(() => /listening on (\S+)/.exec(output())?.[1]);
  return {
    url,
    output,
    async stop() {
      release();
      const code = await running;
      if (code !== 0) throw new Error(`serve exited with ${code}`);
    },
  };
}
