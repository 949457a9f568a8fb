/**
 * The CAB workflow from the terminal: `cabinet submit`, `cabinet cab pending|show|approve|deny`.
 * Each command is one call to CABINET_URL as CABINET_TOKEN; only the API client loads (the
 * cab types below are erased at build time), so these start as fast as `cabinet gate`.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { CabRequestDetail } from '../cab/cab-service.js';
import type { RequestSort } from '../cab/cab-store.js';
import type { CabRequestSummary } from '../cab/cab-view.js';
import type { Recommendation } from '../risk/risk-model.js';
import { apiClientFromEnv } from './api-client.js';
import { type CliIo, printTable } from './cli-io.js';

/**
 * The bands (lowest first), sort orders and change types: the server's lists, not imported
 * (that would load the risk model, the cab store and zod at start); the Record types fail to
 * compile when those lists change.
 */
const BANDS: Record<Recommendation, true> = {
  LOW: true,
  MODERATE: true,
  CAUTION: true,
  HIGH: true,
  CRITICAL: true,
};
const SORT_CHOICES: Record<RequestSort, true> = {
  '-submitted_at': true,
  submitted_at: true,
  '-risk_score': true,
  risk_score: true,
};
const CHANGE_TYPES: Record<CabRequestSummary['change_type'], true> = {
  standard: true,
  normal: true,
  emergency: true,
};

/** A condition as the approve body takes it. */
export interface ConditionArg {
  text: string;
  blocks_rollout: boolean;
  before_ring: string | null;
}

const CONDITION_HELP =
  '\nConditions: --condition TEXT, TEXT:blocks or TEXT:blocks:RING (repeatable).\n' +
  'Only the last one or two ":"-separated fields are read as flags, and only when\n' +
  'they are exactly "blocks" (the condition blocks every ring until a CAB member\n' +
  'verifies it) or "blocks" then a ring name (it blocks that ring and every later\n' +
  'one). Any other ":" is part of the text: "see https://wiki/x:blocks:ring1" is\n' +
  'the text "see https://wiki/x" blocking ring1; "note: a:b" is plain text.\n' +
  'A trailing ":" is dropped and turns the flags off: "exit code:blocks:" is the\n' +
  'non-blocking text "exit code:blocks". A ring name containing ":" needs the API.\n';

/**
 * `TEXT[:blocks[:RING]]` → a condition. The last field is `blocks`, or the one before it is
 * (then the last is the ring); otherwise the whole value is the text. A trailing `:` escapes.
 */
export function parseCondition(value: string): ConditionArg {
  let text = value;
  let blocks = false;
  let ring: string | null = null;
  if (value.endsWith(':')) {
    text = value.slice(0, -1);
  } else {
    const fields = value.split(':');
    const n = fields.length;
    if (n >= 2 && fields[n - 1] === 'blocks') {
      blocks = true;
      text = fields.slice(0, -1).join(':');
    } else if (n >= 3 && fields[n - 2] === 'blocks') {
      blocks = true;
      ring = fields[n - 1]!;
      text = fields.slice(0, -2).join(':');
      if (ring.trim() === '')
        throw new InvalidArgumentError('the ring name after "blocks:" is empty.');
    }
  }
  if (text.trim() === '') {
    throw new InvalidArgumentError(`the condition "${value}" has no text.`);
  }
  return { text, blocks_rollout: blocks, before_ring: ring };
}

const collectCondition = (value: string, previous: ConditionArg[] = []) => [
  ...previous,
  parseCondition(value),
];

function parseBand(value: string): Recommendation {
  const band = value.toUpperCase();
  if (!Object.hasOwn(BANDS, band)) {
    throw new InvalidArgumentError(`Allowed choices are ${Object.keys(BANDS).join(', ')}.`);
  }
  return band as Recommendation;
}

function parseLimit(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError('must be a whole number, at least 1.');
  }
  return value;
}

/** `3d4h`, `2h5m`, `12m`, `40s`: how long ago, for a queue column. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function head(r: CabRequestSummary): string {
  return `CAB request ${r.id}: ${r.status} (${r.change_type} change)`;
}

function approvalsLine(r: CabRequestSummary): string {
  if (r.status === 'auto_approved') return 'none needed (standard change)';
  const v = r.votes_so_far;
  return (
    `${v.approvals} of ${v.required} required` +
    (r.security_reviewer_required ? ', one of them a security reviewer' : '') +
    (v.denials > 0 ? `, ${plural(v.denials, 'denial')}` : '') +
    ` (approval policy ${r.approval_policy_version})`
  );
}

function riskLine(r: CabRequestSummary): string {
  return (
    `${r.risk_score} ${r.recommendation} (model ${r.risk_model_version})` +
    `${r.risk_threshold_exceeded ? ', CAB review required' : ''}, ` +
    `${plural(r.violation_count, 'policy violation')}, ${plural(r.exception_count, 'exception')}`
  );
}

/** The lines every answer about a request starts with: state, pack, risk, approvals. */
function summaryLines(r: CabRequestSummary): string[] {
  const lines = [
    head(r),
    `  app:          ${r.app_name} ${r.app_version} on ${r.plane} (intent ${r.deployment_intent})`,
    `  pack:         ${r.evidence_pack.id} version ${r.evidence_pack.version}, digest sha256:${r.evidence_pack.digest}`,
    `  risk:         ${riskLine(r)}`,
    `  approvals:    ${approvalsLine(r)}`,
  ];
  return lines;
}

function dateLines(r: CabRequestSummary, now: number): string[] {
  const lines = [
    `  submitted:    ${r.submitted_at} by ${r.submitted_by}: ${r.submission_justification}`,
  ];
  if (r.reviewed_at) lines.push(`  decided:      ${r.reviewed_at} by ${r.reviewed_by ?? '-'}`);
  if (r.authorization_expires_at) {
    const expired = Date.parse(r.authorization_expires_at) <= now;
    lines.push(
      `  authorised:   until ${r.authorization_expires_at}${expired ? ' (EXPIRED: submit a new pack version)' : ''}`,
    );
  }
  if (r.post_review_due_at) lines.push(`  post-review:  due ${r.post_review_due_at}`);
  if (r.superseded_by) lines.push(`  superseded:   by ${r.superseded_by}`);
  for (const s of r.stale_reasons) lines.push(`  STALE:        ${s.message} (${s.code}, ${s.at})`);
  return lines;
}

type DetailCondition = CabRequestDetail['approval_conditions'][number];

function conditionLine(c: DetailCondition): string {
  const blocks = !c.blocks_rollout
    ? 'does not block'
    : c.before_ring === null
      ? 'blocks every ring'
      : `blocks ${c.before_ring} and later rings`;
  const due = c.due_at ? `, due ${c.due_at}` : '';
  const verified = c.verified
    ? `; verified by ${c.verified_by ?? '-'} at ${c.verified_at ?? '-'}`
    : '; not verified';
  return `    [${c.verified ? 'x' : ' '}] ${c.id} ${c.text} (${blocks}${due})${verified}`;
}

function conditionLines(d: CabRequestDetail): string[] {
  if (d.approval_conditions.length === 0) return ['  conditions:   none'];
  return ['  conditions:', ...d.approval_conditions.map(conditionLine)];
}

function expiryText(days: number): string {
  if (days < 0) return `expired ${plural(-days, 'day')} ago`;
  if (days === 0) return 'expires today';
  return `${plural(days, 'day')} left`;
}

/** `cabinet cab show`: everything a reviewer reads before voting, in one screen. */
function detailLines(d: CabRequestDetail, now: number): string[] {
  const lines = summaryLines(d);
  lines.push(`  rings:        ${d.rings.join(', ')}`);
  lines.push(`  artifact:     ${d.artifact_sha256}`);
  const factors = Object.entries(d.risk.factors).map(
    ([name, f]) => [name, `${f.weighted}/${f.weight}`, f.explanation] as const,
  );
  if (factors.length > 0) {
    lines.push('  risk factors (weighted/weight):');
    const nameWidth = Math.max(...factors.map(([name]) => name.length));
    const pointsWidth = Math.max(...factors.map(([, points]) => points.length));
    for (const [name, points, explanation] of factors) {
      lines.push(`    ${name.padEnd(nameWidth)}  ${points.padStart(pointsWidth)}  ${explanation}`);
    }
  }
  const violations = Object.values(d.policy.violations);
  lines.push(
    `  policy:       ${d.policy.approved ? 'approved' : plural(violations.length, 'violation')} (set ${d.policy.policy_set_version})` +
      (d.policy.waived.length > 0 ? `, ${d.policy.waived.length} waived by exceptions` : ''),
  );
  for (const v of violations) lines.push(`    ${v.rule_id} (${v.severity}): ${v.message}`);
  if (d.exceptions.length === 0) lines.push('  exceptions:   none');
  else {
    lines.push('  exceptions:');
    for (const e of d.exceptions) {
      lines.push(
        `    ${e.id} ${e.exception_type} ${e.status}, expires ${e.expires_at} (${expiryText(e.days_until_expiry)})`,
      );
    }
  }
  if (d.votes.length === 0) lines.push('  votes:        none');
  else {
    lines.push('  votes:');
    for (const v of d.votes) {
      const conditions =
        v.conditions.length > 0 ? ` [${plural(v.conditions.length, 'condition')}]` : '';
      lines.push(
        `    ${v.decision.padEnd(7)} ${v.reviewer_email} at ${v.at}${conditions}${v.notes ? `: ${v.notes}` : ''}`,
      );
    }
  }
  lines.push(...conditionLines(d));
  lines.push(`  comments:     ${d.comments.length}`);
  if (d.post_review) {
    lines.push(
      `  reviewed after: ${d.post_review.outcome} at ${d.post_review.at}: ${d.post_review.notes}`,
    );
  }
  lines.push(...dateLines(d, now));
  if (d.attestation_available) {
    lines.push(`  attestation:  GET /api/v1/cab/${d.id}/attestation`);
  }
  return lines;
}

/** After a vote: the state it left, and what the gate will ask of the conditions. */
function voteLines(d: CabRequestDetail, now: number): string[] {
  const lines = [head(d), `  approvals:    ${approvalsLine(d)}`];
  if (d.review_notes && d.status === 'denied') lines.push(`  reason:       ${d.review_notes}`);
  if (d.approval_conditions.length > 0) lines.push(...conditionLines(d));
  if (d.authorization_expires_at) {
    lines.push(...dateLines(d, now).filter((l) => l.startsWith('  authorised:')));
  }
  return lines;
}

interface PendingPage {
  requests: CabRequestSummary[];
  next_cursor: string | null;
  /** The whole queue's counts, with the first page; null on the pages after it. */
  counts_by_band: Record<string, number> | null;
  /** The bands with more requests than their count says. */
  counts_over_cap: string[] | null;
}

/** "1000+" for a band the server counted only up to its cap. */
export function bandCount(band: string, n: number, over: readonly string[]): string {
  return over.includes(band) ? `${n}+` : String(n);
}

interface PendingOptions {
  band?: Recommendation;
  plane?: string;
  changeType?: string;
  sort?: RequestSort;
  limit?: string;
  cursor?: string;
}

export function registerCabCommands(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const client = () => apiClientFromEnv(io.env);
  const path = (id: string, action = '') => `/api/v1/cab/${encodeURIComponent(id)}${action}`;

  program
    .command('submit <pack-id>')
    .description('submit an evidence pack to the CAB (talks to CABINET_URL as CABINET_TOKEN)')
    .requiredOption('--justification <text>', 'why this change, for the CAB')
    .option(
      '--emergency',
      'an emergency change: one approval suffices, a post-implementation review is due after',
    )
    .addHelpText(
      'after',
      '\nA standard change (score ≤ 50, no policy violation, no applied exception) is\n' +
        'auto_approved at once; anything else waits as pending for its approvals.\n' +
        'Example:\n  cabinet submit 01J… --justification "monthly patch"',
    )
    .action(async (packId: string, opts: { justification: string; emergency?: boolean }) => {
      const created = await client().call<CabRequestSummary>('POST', '/api/v1/cab/submit', {
        json: {
          evidence_pack_id: packId,
          justification: opts.justification,
          ...(opts.emergency ? { emergency: true } : {}),
        },
      });
      if (json()) io.out(JSON.stringify(created));
      else {
        for (const line of summaryLines(created)) io.out(line);
        for (const line of dateLines(created, Date.now()).filter(
          (l) => l.startsWith('  authorised:') || l.startsWith('  post-review:'),
        ))
          io.out(line);
      }
    });

  const cab = program
    .command('cab')
    .description(
      'review CAB requests: queue, details, votes (talks to CABINET_URL as CABINET_TOKEN)',
    );

  cab
    .command('pending')
    .description('the CAB queue: pending requests, one page')
    .addOption(
      new Option(
        '--band <band>',
        `only this recommendation band: ${Object.keys(BANDS).join(', ')}`,
      ).argParser(parseBand),
    )
    .option('--plane <plane>', 'only this plane (intune, jamf, configmgr, landscape, custom)')
    .addOption(
      new Option('--change-type <type>', 'only this change type').choices(
        Object.keys(CHANGE_TYPES),
      ),
    )
    .addOption(
      new Option(
        '--sort <order>',
        'order of the rows; "-" for descending (default -submitted_at)',
      ).choices(Object.keys(SORT_CHOICES)),
    )
    .option('--limit <n>', 'rows in the page (server maximum 200; default 50)', parseLimit)
    .option('--cursor <cursor>', 'the next page, as printed after the previous one')
    .action(async (opts: PendingOptions) => {
      const page = await client().call<PendingPage>('GET', '/api/v1/cab/pending', {
        query: {
          recommendation: opts.band,
          plane: opts.plane,
          change_type: opts.changeType,
          sort: opts.sort,
          limit: opts.limit,
          cursor: opts.cursor,
        },
      });
      if (json()) {
        io.out(JSON.stringify(page));
        return;
      }
      const now = Date.now();
      printTable(
        io,
        page.requests.map((r) => ({
          id: r.id,
          app: r.app_name,
          version: r.app_version,
          plane: r.plane,
          change_type: r.change_type,
          score: r.risk_score,
          band: r.recommendation,
          votes: `${r.votes_so_far.approvals}/${r.votes_so_far.required}`,
          age: formatAge(now - Date.parse(r.submitted_at)),
          stale: r.stale ? 'STALE' : null,
        })),
        ['id', 'app', 'version', 'plane', 'change_type', 'score', 'band', 'votes', 'age', 'stale'],
      );
      // Counted with the first page only (null on later pages). Every band in order, zeros
      // included; a band this CLI does not know, after them.
      const byBand = page.counts_by_band;
      if (byBand) {
        const bands = Object.keys(BANDS);
        for (const band of Object.keys(byBand)) if (!bands.includes(band)) bands.push(band);
        io.out(
          `pending by band: ${bands.map((band) => `${band} ${bandCount(band, byBand[band] ?? 0, page.counts_over_cap ?? [])}`).join(', ')}`,
        );
      }
      if (page.next_cursor) io.out(`next page: --cursor ${page.next_cursor}`);
    });

  cab
    .command('show <id>')
    .description('one request: pack, risk factors, violations, exceptions, votes, conditions')
    .action(async (id: string) => {
      const detail = await client().call<CabRequestDetail>('GET', path(id));
      if (json()) io.out(JSON.stringify(detail));
      else for (const line of detailLines(detail, Date.now())) io.out(line);
    });

  cab
    .command('approve <id>')
    .description('vote to approve a request (CAB member; never your own submission)')
    .option('--notes <text>', 'notes for the record')
    .option(
      '--condition <spec>',
      'a condition of the approval: TEXT[:blocks[:RING]] (repeatable; see below)',
      collectCondition,
    )
    .addHelpText(
      'after',
      `${CONDITION_HELP}Example:\n` +
        '  cabinet cab approve 01J… --notes "ok" \\\n' +
        '    --condition "monitor crash rate for 48h" \\\n' +
        '    --condition "ring0 smoke test passes:blocks:ring1"',
    )
    .action(async (id: string, opts: { notes?: string; condition?: ConditionArg[] }) => {
      const conditions = opts.condition ?? [];
      const detail = await client().call<CabRequestDetail>('POST', path(id, '/approve'), {
        json: {
          ...(opts.notes === undefined ? {} : { notes: opts.notes }),
          ...(conditions.length > 0 ? { conditions } : {}),
        },
      });
      if (json()) io.out(JSON.stringify(detail));
      else for (const line of voteLines(detail, Date.now())) io.out(line);
    });

  cab
    .command('deny <id>')
    .description('deny a request: a veto, the request ends denied (CAB member)')
    .requiredOption('--reason <text>', 'why; the submitter is told')
    .action(async (id: string, opts: { reason: string }) => {
      const detail = await client().call<CabRequestDetail>('POST', path(id, '/deny'), {
        json: { reason: opts.reason },
      });
      if (json()) io.out(JSON.stringify(detail));
      else for (const line of voteLines(detail, Date.now())) io.out(line);
    });
}
