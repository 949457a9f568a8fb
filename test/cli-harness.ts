import type { CliIo } from '../src/cli/cli-io.js';

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
