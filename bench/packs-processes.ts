/**
 * Runs bench/packs-verify-child.ts in fresh node processes. As bench/audit.ts does for its
 * verify child, the child runs as plain JavaScript when it can (an esbuild bundle beside a
 * node_modules link), as `cabinet verify` from the built package does; under the tsx loader
 * the process would also carry tsx's loader thread and compile TypeScript as it loads.
 */
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bundleChild, type ChildEntry } from './child-bundle.js';
import type { VerifyChildMode, VerifyChildReport } from './packs-verify-child.js';

const childScript = fileURLToPath(new URL('./packs-verify-child.ts', import.meta.url));

export type VerifyChild = ChildEntry;

export function prepareVerifyChild(workDir: string): Promise<VerifyChild> {
  return bundleChild(workDir, 'packs-verify-child', { 'packs-verify-child': childScript });
}

export interface VerifyRun {
  report: VerifyChildReport;
  /** From fork to the child's exit, as the parent saw it. */
  processMs: number;
}

/** One child: `cabinet verify` of `bundleFile` with `keyFile`, as `mode` says (see the child). */
export function runVerifyChild(
  entry: VerifyChild,
  mode: VerifyChildMode,
  args: { bundleFile: string; keyFile: string; warmRuns: number; profileAs?: string },
): Promise<VerifyRun> {
  const execArgv = [...entry.execArgv];
  const profileDir = process.env.CABINET_BENCH_CPU_PROF;
  if (profileDir && args.profileAs) {
    mkdirSync(resolve(profileDir), { recursive: true });
    execArgv.push(
      '--cpu-prof',
      `--cpu-prof-dir=${resolve(profileDir)}`,
      `--cpu-prof-name=packs-${args.profileAs}.cpuprofile`,
    );
  }
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = fork(entry.script, [mode, args.bundleFile, args.keyFile, String(args.warmRuns)], {
      env: { ...process.env, CABINET_LOG_LEVEL: 'silent' },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: VerifyChildReport | null = null;
    child.on('message', (message) => {
      report = message as VerifyChildReport;
    });
    child.on('error', fail);
    // 'close' rather than 'exit': it follows the IPC channel's last message.
    child.on('close', (code, signal) => {
      const processMs = performance.now() - started;
      if (code === 0 && report) done({ report, processMs });
      else fail(new Error(`the ${mode} verify child exited with ${signal ?? code} and no report`));
    });
  });
}
