/**
 * `cabinet gate REQUEST --ring NAME [--wait]`: the deployment pipeline's question "may this
 * ring start now?". Exit 0 allowed, 3 refused (every reason printed), and the usual codes for
 * failures (2 a refusal by the API or bad arguments, 1 the server unreachable). Only the API
 * client loads: the step starts, makes its call and exits.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import type { GateResult } from '../cab/cab-service.js';
import { BadRequestError } from '../platform/errors.js';
import { type ApiClient, ApiError, ApiUnreachableError, apiClientFromEnv } from './api-client.js';
import { CliExit, type CliIo } from './cli-io.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30s`, `10m`, `2h`, `1h30m`, `500ms`, `1d` → milliseconds. A bare number is refused. */
export function parseDuration(value: string): number {
  const text = value.trim();
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (text === '' || parts.map((p) => p[0]).join('') !== text) {
    throw new InvalidArgumentError('expected a duration like 30s, 10m, 2h or 1h30m.');
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]!]!, 0);
  if (ms <= 0) throw new InvalidArgumentError('the duration must be more than zero.');
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', rest > 0 || s === 0 ? `${rest}s` : ''].join(
    '',
  );
}

/**
 * Refusals that waiting cannot lift: the request is final (denied, superseded), its window
 * closed, or its evidence needs a new pack version. `--wait` stops on them at once.
 * Anything else (`not_decided`, `condition_unverified`, a code this CLI does not know) may
 * still change, so it keeps waiting.
 */
export const FINAL_REASONS = new Set([
  'denied',
  'superseded',
  'authorization_expired',
  'exception_inactive',
  'evidence_stale',
]);

/** No answer, or the server says it is momentarily unable: worth another try while waiting. */
function isTransient(error: unknown): boolean {
  if (error instanceof ApiUnreachableError) return true;
  return error instanceof ApiError && [429, 502, 503, 504].includes(error.status);
}

interface GateOptions {
  ring: string;
  wait?: boolean;
  timeout?: number;
  interval?: number;
}

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_INTERVAL_MS = 10_000;
/** While waiting, one call may take this long at least, however little time is left. */
const MIN_CALL_MS = 5_000;
/** While waiting, a "still waiting" line at least this often, so a log shows it is alive. */
const HEARTBEAT_MS = 5 * 60_000;

const reasonsKey = (r: GateResult) => r.reasons.map((x) => `${x.code}:${x.message}`).join('\n');

export function registerGateCommand(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;

  program
    .command('gate <request-id>')
    .description('may this ring of an approved request start now? exit 0 yes, 3 no (for pipelines)')
    .requiredOption('--ring <name>', 'the ring of the rollout plan about to start')
    .option('--wait', 'poll until the ring is allowed, a refusal becomes final, or --timeout')
    .option(
      '--timeout <duration>',
      'with --wait: give up after this long (default 30m)',
      parseDuration,
    )
    .option(
      '--interval <duration>',
      'with --wait: time between checks (default 10s)',
      parseDuration,
    )
    .addHelpText(
      'after',
      '\nDurations: 500ms, 30s, 10m, 2h, 1d, or combined as 1h30m.\n' +
        'Exit status: 0 allowed; 3 refused (each reason printed as CODE: message), or\n' +
        '--timeout reached, or a refusal waiting cannot lift (denied, superseded,\n' +
        'authorization_expired, exception_inactive, evidence_stale); 2 bad arguments or a\n' +
        'refusal by the API (unknown request or ring, no access); 1 server unreachable.\n' +
        'While waiting, an unreachable or overloaded server (429/502/503/504) is retried.\n' +
        'Example (a pipeline step before ring1):\n' +
        '  cabinet gate 01J… --ring ring1 --wait --timeout 2h',
    )
    .action(async (id: string, opts: GateOptions) => {
      if (!opts.wait && (opts.timeout !== undefined || opts.interval !== undefined)) {
        throw new BadRequestError('--timeout and --interval only apply with --wait');
      }
      const api = apiClientFromEnv(io.env);
      const result = opts.wait
        ? await waitForGate(io, api, id, opts)
        : await checkGate(api, id, opts.ring);
      report(io, result, json());
      if (!result.allowed) throw new CliExit(3);
    });
}

function checkGate(api: ApiClient, id: string, ring: string, signal?: AbortSignal) {
  return api.call<GateResult>('GET', `/api/v1/cab/${encodeURIComponent(id)}/gate`, {
    query: { ring },
    ...(signal ? { signal } : {}),
  });
}

async function waitForGate(
  io: CliIo,
  api: ApiClient,
  id: string,
  opts: GateOptions,
): Promise<GateResult> {
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS;
  const interval = opts.interval ?? DEFAULT_INTERVAL_MS;
  const started = Date.now();
  const deadline = started + timeout;
  let shown = '';
  let shownAt = 0;
  for (;;) {
    const left = () => deadline - Date.now();
    let result: GateResult | undefined;
    try {
      result = await checkGate(
        api,
        id,
        opts.ring,
        AbortSignal.timeout(Math.max(left(), MIN_CALL_MS)),
      );
    } catch (error) {
      if (!isTransient(error) || left() <= 0) throw error;
      io.err(`gate: ${(error as Error).message}; retrying (${formatDuration(left())} left)`);
    }
    if (result) {
      if (result.allowed) return result;
      const final = result.reasons.filter((r) => FINAL_REASONS.has(r.code));
      if (final.length > 0) {
        io.err(
          `gate: not waiting: ${final.map((r) => r.code).join(', ')} will not change by waiting`,
        );
        return result;
      }
      if (left() <= 0) {
        io.err(`gate: timed out after ${formatDuration(Date.now() - started)}, still refused`);
        return result;
      }
      const key = reasonsKey(result);
      if (key !== shown || Date.now() - shownAt >= HEARTBEAT_MS) {
        const codes = result.reasons.map((r) => r.code).join(', ');
        io.err(
          `gate: ${opts.ring} not allowed yet (${codes}); checking every ${formatDuration(interval)}, ${formatDuration(left())} left`,
        );
        shown = key;
        shownAt = Date.now();
      }
    }
    await sleep(Math.max(0, Math.min(interval, left())));
  }
}

function report(io: CliIo, result: GateResult, json: boolean): void {
  if (json) {
    io.out(JSON.stringify(result));
    return;
  }
  if (result.allowed) {
    io.out(
      `allowed: ${result.ring} of CAB request ${result.request_id} may start (${result.status}` +
        `${result.authorization_expires_at ? `, authorised until ${result.authorization_expires_at}` : ''})`,
    );
    return;
  }
  io.out(
    `refused: ${result.ring} of CAB request ${result.request_id} may not start (${result.status}):`,
  );
  for (const reason of result.reasons) io.out(`  ${reason.code}: ${reason.message}`);
}
