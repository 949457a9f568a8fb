/**
 * Bench children run as plain JavaScript when they can, as the built package does: under the
 * tsx loader a process (and every worker thread) would carry tsx's loader thread, tens of MB
 * of RSS, and compile TypeScript as it loads. esbuild (tsx's own compiler) bundles the given
 * entry points into `workDir`, beside a node_modules link so external packages resolve.
 * Without esbuild the child falls back to the tsx loader, and `runtime` says so.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nodeModules = fileURLToPath(new URL('../node_modules', import.meta.url));

export interface ChildEntry {
  script: string;
  execArgv: string[];
  /** How the child runs, printed with the figures. */
  runtime: string;
}

/**
 * Bundles `entryPoints` (output name → TypeScript source) into `workDir`; the child is the
 * one named `main`. Other entries (a worker the child starts beside itself) come along.
 */
export async function bundleChild(
  workDir: string,
  main: string,
  entryPoints: Record<string, string>,
): Promise<ChildEntry> {
  try {
    const esbuild = await import('esbuild');
    mkdirSync(workDir, { recursive: true });
    symlinkSync(nodeModules, join(workDir, 'node_modules'), 'dir');
    // The bundles are ES modules named .js, as the built package's are.
    writeFileSync(join(workDir, 'package.json'), '{"type":"module"}\n');
    await esbuild.build({
      entryPoints,
      outdir: workDir,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    const bundled = Object.keys(entryPoints).length > 1 ? 'the child and its workers' : 'the child';
    return {
      script: join(workDir, `${main}.js`),
      execArgv: [],
      runtime: `plain node running an esbuild bundle of ${bundled}`,
    };
  } catch (error) {
    return {
      script: entryPoints[main]!,
      execArgv: [...process.execArgv],
      runtime: `tsx loader, RSS includes its threads (no bundle: ${(error as Error).message})`,
    };
  }
}
