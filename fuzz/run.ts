import { parseArgs } from 'node:util';
import { EVIDENCE_KINDS, type EvidenceKind } from '../src/evidence/parse-evidence.js';
import { type KindReport, runFuzz } from './harness.js';

/**
 * `npm run fuzz -- [--count N] [--kinds sbom,vex] [--seed S] [--index I]`: seeded mutations
 * of the corpus through the real evidence route; exits 1 on any failure, printing the seed
 * and index that rebuild the input (`--kinds K --seed S --index I` replays just that one).
 */
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: process.env.FUZZ_COUNT ?? '100000' },
    kinds: { type: 'string', default: EVIDENCE_KINDS.join(',') },
    seed: { type: 'string', default: process.env.FUZZ_SEED ?? '1' },
    index: { type: 'string' },
    segment: { type: 'string', default: '5000' },
    'max-seed-kb': { type: 'string', default: '64' },
  },
});

const kinds = values.kinds.split(',').map((k) => k.trim()) as EvidenceKind[];
const unknown = kinds.filter((k) => !EVIDENCE_KINDS.includes(k));
if (unknown.length > 0) {
  console.error(`unknown kinds: ${unknown.join(', ')}; use ${EVIDENCE_KINDS.join(', ')}`);
  process.exit(2);
}
const seed = Number(values.seed);
const count = Number(values.count);

function print(report: KindReport): void {
  const statuses = Object.entries(report.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, n]) => `${status}×${n}`)
    .join(' ');
  const rate = Math.round((report.inputs / Math.max(report.millis, 1)) * 1000);
  console.log(
    `${report.kind.padEnd(12)} ${String(report.inputs).padStart(7)} inputs  ${(report.millis / 1000).toFixed(1)} s (${rate}/s)  ${statuses}  failures: ${report.failures.length}`,
  );
  for (const f of report.failures.slice(0, 20)) {
    console.log(
      `  FAIL ${f.problem} (status ${f.status}) — ${f.mutator} of ${f.document}; replay: npm run fuzz -- --kinds ${f.kind} --seed ${f.seed} --index ${f.index}`,
    );
  }
  if (report.failures.length > 20) console.log(`  … and ${report.failures.length - 20} more`);
}

console.log(`fuzz seed ${seed}, ${count} inputs per kind`);
const reports = await runFuzz({
  seed,
  count,
  kinds,
  index: values.index === undefined ? undefined : Number(values.index),
  segment: Number(values.segment),
  maxSeedBytes: Number(values['max-seed-kb']) * 1024,
  onResponse:
    values.index === undefined
      ? undefined
      : (input, status, body) => {
          const shown =
            input.bytes.length > 2000 ? `${input.bytes.subarray(0, 2000)}…` : input.bytes;
          console.log(`${input.mutator} of ${input.seed} (${input.bytes.length} bytes):\n${shown}`);
          console.log(`→ ${status} ${body.slice(0, 2000)}`);
        },
  onReport: print,
  onProgress: (kind, done) => {
    if (done % 5000 === 0) process.stderr.write(`  ${kind}: ${done}/${count}\n`);
  },
});
const failed = reports.reduce((n, r) => n + r.failures.length, 0);
process.exit(failed > 0 ? 1 : 0);
