/**
 * `npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top]`: where a V8 CPU profile
 * (node --cpu-prof, e.g. from CABINET_BENCH_CPU_PROF=<dir> npm run bench -- audit) spent its
 * time, by function (self time) and by package or source file, without opening DevTools.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Self time (µs) per node id: each sample's delta is charged to the node it landed in. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const times = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    times.set(id, (times.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return times;
}

/** node_modules/<package> or the path under the repository, so src/ files stay apart. */
function origin(url: string): string {
  if (url === '') return '(native / V8)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith('node:')) return url;
  const source = /\/((?:src|bench)\/.*)$/.exec(url);
  return source ? source[1]! : url;
}

export function summarise(profile: CpuProfile, top = 25): string[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const total = profile.endTime - profile.startTime;
  const byFunction = new Map<string, number>();
  const byOrigin = new Map<string, number>();
  for (const [id, micros] of selfTimes(profile)) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const where = origin(frame.url);
    const name = `${frame.functionName || '(anonymous)'}  ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
    byOrigin.set(where, (byOrigin.get(where) ?? 0) + micros);
  }
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, micros]) =>
          `${(micros / 1000).toFixed(0).padStart(8)} ms ${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`,
      );
  return [
    `profile: ${(total / 1e6).toFixed(2)} s`,
    '',
    'self time by function:',
    ...rank(byFunction),
    '',
    'self time by package / file:',
    ...rank(byOrigin),
  ];
}

const [file, top] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top]\n');
  process.exitCode = 2;
} else {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${summarise(profile, top ? Number(top) : undefined).join('\n')}\n`);
}
