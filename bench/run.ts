/**
 * `npm run bench [-- <group>...]`: runs the bench groups (all by default) and prints a table
 * of figures, baselines, ratios and PASS/FAIL against their targets.
 *
 * Targets are reported, not enforced: the exit code is 0 unless a bench crashes (1) or the
 * command line names an unknown group (2). To add a bench, write a module exporting
 * `run(report: Reporter)` (see bench/reporter.ts) and add it to `groups` below.
 */
import { performance } from 'node:perf_hooks';
import { type BenchModule, ResultCollector } from './reporter.js';

interface BenchGroup {
  name: string;
  description: string;
  /** Loaded lazily so one group's heavy imports (or a broken one) never touch the others. */
  load: () => Promise<BenchModule>;
}

export const groups: readonly BenchGroup[] = [
  {
    name: 'audit',
    description: 'audit log: append throughput (SQLite, PostgreSQL), verify of a 1M-event chain',
    load: () => import('./audit.js'),
  },
  {
    name: 'authenticode',
    description:
      'Authenticode at upload: a 256 MB signed PE (digest in the same pass, PKCS#7 and chain verified) vs a non-PE file of the same size',
    load: () => import('./authenticode.js'),
  },
  {
    name: 'cab',
    description:
      'CAB: approve decisions/s and p99 (SQLite, PostgreSQL 1 and 2 processes) and the queue over 100k requests vs an authenticated GET, `cabinet gate` vs node -e 0',
    load: () => import('./cab.js'),
  },
  {
    name: 'intake',
    description:
      'evidence and artifact intake: parse/add vs JSON.parse + SHA-256, 50 MB SBOM memory, 413, upload speed',
    load: () => import('./intake.js'),
  },
  {
    name: 'outbox',
    description:
      'outbox dispatcher on PostgreSQL: webhooks/s with 1 and 2 server processes vs raw POSTs, commit-to-delivery p50/p99 at 500/s per process, emails/s vs raw nodemailer',
    load: () => import('./outbox.js'),
  },
  {
    name: 'packs',
    description:
      'evidence packs: generate vs JSON.parse + SHA-256 of its inputs, bundle export and offline verify vs SHA-256',
    load: () => import('./packs.js'),
  },
  {
    name: 'policy',
    description: 'policy evaluation of the largest corpus SBOM + scan vs one walk of its findings',
    load: () => import('./policy.js'),
  },
  {
    name: 'risk',
    description: 'risk scoring: scoreRisk throughput over generated inputs, one core',
    load: () => import('./risk.js'),
  },
];

function usage(): string {
  const lines = groups.map((g) => `  ${g.name.padEnd(12)} ${g.description}`);
  return ['usage: npm run bench [-- <group>...]', '', 'groups:', ...lines].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h') || argv.includes('--list')) {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const unknown = argv.filter((name) => !groups.some((g) => g.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench group: ${unknown.join(', ')}\n\n${usage()}\n`);
    return 2;
  }
  const selected = argv.length === 0 ? groups : groups.filter((g) => argv.includes(g.name));
  const collector = new ResultCollector();
  let crashed = false;
  process.stdout.write(
    `cabinet bench: node ${process.version}, ${process.platform}/${process.arch}\n`,
  );
  for (const group of selected) {
    process.stdout.write(`\n[${group.name}] ${group.description}\n`);
    const started = performance.now();
    try {
      const module = await group.load();
      await module.run(collector.reporterFor(group.name));
    } catch (error) {
      crashed = true;
      collector.crashed(group.name, error);
    }
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(`[${group.name}] done in ${seconds.toFixed(1)} s\n`);
  }
  collector.printTable();
  return crashed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
