/**
 * The contract between the harness (bench/run.ts) and a bench module. A module measures,
 * then hands each figure to the Reporter with what it is compared to and the target it
 * must meet; the Reporter computes the ratio and the verdict so every bench judges alike.
 */

/** A bench module: one group of figures, run by `npm run bench [-- <group>]`. */
export interface BenchModule {
  run(report: Reporter): Promise<void>;
}

/** What a figure is compared to; the ratio printed is figure ÷ baseline. */
export interface Baseline {
  name: string;
  value: number;
  unit: string;
}

/**
 * A target bounds either the figure itself (`on: 'value'`, e.g. ≥ 2,000 events/s) or its
 * ratio to the baseline (`on: 'ratio'`, e.g. ≤ 3× the hashing floor). Ratios are preferred:
 * they hold on a slow CI runner and a fast laptop alike.
 */
export interface Target {
  on: 'value' | 'ratio';
  op: '>=' | '>' | '<=' | '<';
  limit: number;
}

export interface FigureInput {
  name: string;
  value: number;
  unit: string;
  baseline?: Baseline;
  target?: Target;
  /** One short line of context printed under the figure (sample size, method). */
  detail?: string;
}

/** INFO: a figure without a target, printed for context. */
export type Verdict = 'PASS' | 'FAIL' | 'INFO' | 'SKIP' | 'CRASH';

export interface FigureRow {
  group: string;
  name: string;
  value: number | null;
  unit: string;
  baseline: Baseline | null;
  ratio: number | null;
  target: Target | null;
  verdict: Verdict;
  /** Why a figure was skipped or a bench crashed. */
  reason: string | null;
}

export interface Reporter {
  figure(input: FigureInput): FigureRow;
  skip(name: string, reason: string): void;
  /** Progress and context while a bench runs (not part of the final table). */
  note(message: string): void;
}

type Print = (line: string) => void;

/** Collects the rows of every group and prints each as it arrives. */
export class ResultCollector {
  readonly rows: FigureRow[] = [];
  readonly #print: Print;

  constructor(print: Print = (line) => process.stdout.write(`${line}\n`)) {
    this.#print = print;
  }

  reporterFor(group: string): Reporter {
    return {
      figure: (input) => {
        const row = judge(group, input);
        this.rows.push(row);
        this.#print(`  ${formatRowLine(row)}`);
        if (input.detail) this.#print(`      ${input.detail}`);
        return row;
      },
      skip: (name, reason) => {
        const row = emptyRow(group, name, 'SKIP', reason);
        this.rows.push(row);
        this.#print(`  ${name}: skipped (${reason})`);
      },
      note: (message) => this.#print(`  · ${message}`),
    };
  }

  crashed(group: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.rows.push(emptyRow(group, '(bench crashed)', 'CRASH', message));
    this.#print(`  CRASH: ${error instanceof Error ? (error.stack ?? message) : message}`);
  }

  printTable(): void {
    this.#print('');
    for (const line of formatTable(this.rows)) this.#print(line);
  }
}

export function judge(group: string, input: FigureInput): FigureRow {
  const baseline = input.baseline ?? null;
  const ratio = baseline && baseline.value !== 0 ? input.value / baseline.value : null;
  const target = input.target ?? null;
  let verdict: Verdict = 'INFO';
  if (target) {
    const measured = target.on === 'value' ? input.value : ratio;
    // A ratio target without a usable baseline cannot pass: say so rather than guess.
    verdict =
      measured !== null && Number.isFinite(measured) && meets(measured, target) ? 'PASS' : 'FAIL';
  }
  return {
    group,
    name: input.name,
    value: input.value,
    unit: input.unit,
    baseline,
    ratio,
    target,
    verdict,
    reason: null,
  };
}

function meets(measured: number, target: Target): boolean {
  switch (target.op) {
    case '>=':
      return measured >= target.limit;
    case '>':
      return measured > target.limit;
    case '<=':
      return measured <= target.limit;
    case '<':
      return measured < target.limit;
  }
}

const opSymbols: Record<Target['op'], string> = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' };

function emptyRow(group: string, name: string, verdict: Verdict, reason: string): FigureRow {
  return {
    group,
    name,
    value: null,
    unit: '',
    baseline: null,
    ratio: null,
    target: null,
    verdict,
    reason,
  };
}

/** Three significant-ish digits, thousands separated: 2,431 · 84.2 · 3.17 · 0.042. */
export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function formatQuantity(value: number, unit: string): string {
  return unit ? `${formatNumber(value)} ${unit}` : formatNumber(value);
}

function formatTarget(target: Target | null, unit: string): string {
  if (!target) return '—';
  const op = opSymbols[target.op];
  return target.on === 'value'
    ? `${op} ${formatQuantity(target.limit, unit)}`
    : `ratio ${op} ${formatNumber(target.limit)}×`;
}

function formatRowLine(row: FigureRow): string {
  const parts = [`${row.name}: ${row.value === null ? '—' : formatQuantity(row.value, row.unit)}`];
  if (row.baseline) {
    parts.push(
      `vs ${row.baseline.name} ${formatQuantity(row.baseline.value, row.baseline.unit)}` +
        (row.ratio === null ? '' : ` = ${formatNumber(row.ratio)}×`),
    );
  }
  if (row.target) parts.push(`target ${formatTarget(row.target, row.unit)}`);
  parts.push(row.verdict);
  return parts.join('  ');
}

const headers = ['group', 'figure', 'value', 'baseline', 'ratio', 'target', 'result'] as const;

export function formatTable(rows: readonly FigureRow[]): string[] {
  const cells = rows.map((row) => [
    row.group,
    row.name,
    row.value === null ? (row.reason ?? '—') : formatQuantity(row.value, row.unit),
    row.baseline
      ? `${row.baseline.name} ${formatQuantity(row.baseline.value, row.baseline.unit)}`
      : '—',
    row.ratio === null ? '—' : `${formatNumber(row.ratio)}×`,
    formatTarget(row.target, row.unit),
    row.verdict,
  ]);
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...cells.map((line) => line[i]!.length)),
  );
  const render = (line: readonly string[]) =>
    `| ${line.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const counts = new Map<Verdict, number>();
  for (const row of rows) counts.set(row.verdict, (counts.get(row.verdict) ?? 0) + 1);
  const summary = [...counts].map(([verdict, n]) => `${n} ${verdict}`).join(', ');
  return [render(headers), rule, ...cells.map(render), '', `${rows.length} figures: ${summary}`];
}
