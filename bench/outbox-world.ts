/**
 * The outbox bench's side of the database: a container on a throwaway PostgreSQL database
 * (the real composition root, as the server's), an admin token to register a webhook
 * endpoint through a server's API, payloads shaped like the real ones, and the two ways the
 * bench enqueues: a backlog in transactions of many messages, and a paced stream of one
 * message per transaction whose commit times are recorded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decisionStatement, signDecision } from '../src/cab/decision-attestation.js';
import type { Container } from '../src/composition-root.js';
import type { OutboxEntry } from '../src/outbox/outbox.js';
import { type Context, systemContext } from '../src/platform/context.js';
import { uuidv7 } from '../src/platform/ids.js';
import { type BenchDatabase, benchContainer } from './bench-databases.js';

export const PLANE = 'intune';
export const WEBHOOK_EVENT = 'deployment.authorized';
export const EMAIL_EVENT = 'cab.request.submitted';

export interface OutboxWorld {
  database: BenchDatabase;
  container: Container;
  adminToken: string;
  close(): Promise<void>;
}

/**
 * A container (migrations run) and the bootstrap admin on a fresh database. With
 * `asyncCommit`, the bench's own sessions commit with synchronous_commit=off: a commit
 * returns once it is visible, without waiting for its WAL flush (server processes, which get
 * the plain URL, commit durably as ever).
 */
export async function outboxWorld(
  database: BenchDatabase,
  options: { asyncCommit: boolean },
): Promise<OutboxWorld> {
  const url = new URL(database.url);
  if (options.asyncCommit) url.searchParams.set('options', '-c synchronous_commit=off');
  const container = await benchContainer({ ...database, url: url.toString() });
  try {
    const admin = await container.identity.bootstrapAdmin(systemContext());
    if (!admin) throw new Error('the bench database already has users');
    return { database, container, adminToken: admin.token, close: () => container.close() };
  } catch (error) {
    await container.close();
    throw error;
  }
}

export interface Endpoint {
  id: string;
  secret: string;
}

/** POST /api/v1/webhooks on a running server, as an admin would. */
export async function registerEndpoint(
  serverUrl: string,
  adminToken: string,
  receiverUrl: string,
): Promise<Endpoint> {
  const answer = await fetch(new URL('/api/v1/webhooks', serverUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      plane: PLANE,
      url: receiverUrl,
      events: [WEBHOOK_EVENT],
      description: 'outbox bench receiver',
    }),
  });
  const text = await answer.text();
  if (answer.status !== 201) {
    throw new Error(`POST /api/v1/webhooks answered ${answer.status}: ${text.slice(0, 300)}`);
  }
  const body = JSON.parse(text) as { id?: unknown; secret?: unknown };
  if (typeof body.id !== 'string' || typeof body.secret !== 'string') {
    throw new Error(`POST /api/v1/webhooks answered no id and secret: ${text.slice(0, 300)}`);
  }
  return { id: body.id, secret: body.secret };
}

// ---------------------------------------------------------------------------------------
// Payloads: the shape (and size) of a real deployment.authorized and cab.request.submitted.

/** A request summary as CabService puts it in the outbox (see src/cab/cab-view.ts). */
function requestSummary(status: string): Record<string, unknown> {
  const now = new Date().toISOString();
  const sha = createHash('sha256').update('7z2408-x64.exe').digest('hex');
  return {
    id: uuidv7(Date.now()),
    evidence_pack: { id: uuidv7(Date.now()), version: '1', digest: `sha256:${sha}` },
    deployment_intent: uuidv7(Date.now()),
    artifact_sha256: sha,
    app_name: '7-Zip',
    app_version: '24.08',
    plane: PLANE,
    change_type: 'normal',
    risk_score: 22,
    risk_model_version: 'cabinet-risk/1',
    recommendation: 'LOW',
    risk_threshold_exceeded: false,
    policy_violations: [
      { rule: 'vuln.max_high', severity: 'medium', message: '1 high vulnerability (max 0)' },
    ],
    violation_count: 1,
    finding_counts: { critical: 0, high: 1, medium: 4, low: 9, unknown: 0 },
    exception_count: 0,
    exception_ids: [],
    submitted_at: now,
    submitted_by: uuidv7(Date.now()),
    submission_justification: 'bench: a normal change',
    status,
    approvals_required: 1,
    security_reviewer_required: false,
    approval_policy_version: '1',
    votes_so_far: { approvals: status === 'approved' ? 1 : 0, denials: 0, required: 1 },
    reviewed_at: status === 'approved' ? now : null,
    reviewed_by: status === 'approved' ? [uuidv7(Date.now())] : [],
    review_notes: null,
    authorization_expires_at: status === 'approved' ? now : null,
    stale: false,
    stale_reasons: [],
    post_review_due_at: null,
    superseded_by: null,
    rings: ['ring0', 'ring1', 'broad'],
    revision: 2,
    updated_at: now,
  };
}

/** The payload of a deployment.authorized, its decision attestation signed by the server key. */
export function authorizedPayload(container: Container): Record<string, unknown> {
  const request = requestSummary('approved');
  const now = new Date();
  const expires = new Date(now.getTime() + 14 * 86_400_000).toISOString();
  const pack = request.evidence_pack as { id: string; version: string; digest: string };
  const attestation = signDecision(
    decisionStatement(
      { name: '7z2408-x64.exe', sha256: String(request.artifact_sha256) },
      {
        request_id: String(request.id),
        intent_id: String(request.deployment_intent),
        pack,
        plane: PLANE,
        status: 'approved',
        change_type: 'normal',
        votes: [
          {
            reviewer_id: uuidv7(Date.now()),
            reviewer_email: 'bench-cab_member-0@example.org',
            roles: ['cab_member'],
            decision: 'approve',
            at: now.toISOString(),
          },
        ],
        conditions: [],
        risk: { score: 22, model_version: 'cabinet-risk/1', recommendation: 'LOW' },
        approval_policy_version: '1',
        decided_at: now.toISOString(),
        authorization_expires_at: expires,
      },
    ),
    container.signingKey,
  );
  return {
    request,
    evidence_pack: pack,
    plane: PLANE,
    rings: request.rings,
    conditions: [],
    authorization_expires_at: expires,
    attestation,
  };
}

export function submittedPayload(): Record<string, unknown> {
  return { request: requestSummary('pending') };
}

/** The payload with the bench's mark: which phase, which message of it. */
export const marked = (payload: Record<string, unknown>, run: string, seq: number) => ({
  ...payload,
  bench: { run, seq },
});

export function webhookEntry(payload: Record<string, unknown>): OutboxEntry {
  return { channel: 'webhook', event_type: WEBHOOK_EVENT, plane: PLANE, payload };
}

export function emailEntry(payload: Record<string, unknown>, seq: number): OutboxEntry {
  return {
    channel: 'email',
    event_type: EMAIL_EVENT,
    recipients: [{ user_id: uuidv7(Date.now()), email: `bench-cab-${seq % 50}@example.org` }],
    subject_id: String((payload.request as { id: string }).id),
    payload,
  };
}

// ---------------------------------------------------------------------------------------
// Enqueueing, as a change's transaction does it.

const benchContext = (): Context => systemContext(randomUUID());

/**
 * `count` messages, `perTransaction` in each transaction (one enqueue call), transactions
 * one after another. Answers how many messages the outbox wrote and how long it took.
 */
export async function enqueueBacklog(
  container: Container,
  count: number,
  perTransaction: number,
  entry: (seq: number) => OutboxEntry,
): Promise<{ written: number; ms: number }> {
  const started = performance.now();
  let written = 0;
  for (let at = 0; at < count; at += perTransaction) {
    const entries: OutboxEntry[] = [];
    for (let seq = at; seq < Math.min(count, at + perTransaction); seq++) entries.push(entry(seq));
    written += (
      await container.database.transaction((trx) =>
        container.outbox.enqueue(trx, benchContext(), ...entries),
      )
    ).length;
  }
  return { written, ms: performance.now() - started };
}

export interface PacedEnqueue {
  /** When each message's transaction resolved (performance.now()). */
  committedAt: Float64Array;
  /** First launch to last commit, ms. */
  wallMs: number;
  transactions: number;
  /** The most messages one transaction carried (more than one: the bench was behind). */
  largestTransaction: number;
  failures: number;
}

/**
 * `count` messages at `rate` per second, each enqueued once its time has come: the messages
 * due when a transaction starts go in it (one when the bench keeps up, as one change commits
 * one message; more when it fell behind, so the rate holds however slow a commit is), up to
 * `maxInFlight` transactions at once. A message's commit time is taken as its transaction
 * resolves.
 */
export async function enqueuePaced(
  container: Container,
  count: number,
  rate: number,
  maxInFlight: number,
  entry: (seq: number) => OutboxEntry,
): Promise<PacedEnqueue> {
  const committedAt = new Float64Array(count).fill(Number.NaN);
  const pending = new Set<Promise<void>>();
  let failures = 0;
  let transactions = 0;
  let largestTransaction = 0;
  let next = 0;
  const started = performance.now();
  while (next < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    if (next < due && pending.size < maxInFlight) {
      const seqs: number[] = [];
      while (next < due && seqs.length < MAX_PACED_TRANSACTION) seqs.push(next++);
      transactions++;
      largestTransaction = Math.max(largestTransaction, seqs.length);
      const work = container.database
        .transaction((trx) =>
          container.outbox.enqueue(trx, benchContext(), ...seqs.map((seq) => entry(seq))),
        )
        .then(
          (written) => {
            const at = performance.now();
            for (const seq of seqs) committedAt[seq] = at;
            if (written.length !== seqs.length) failures += seqs.length - written.length;
          },
          () => {
            failures += seqs.length;
          },
        )
        .finally(() => pending.delete(work));
      pending.add(work);
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return {
    committedAt,
    wallMs: performance.now() - started,
    transactions,
    largestTransaction,
    failures,
  };
}

/** However far behind the bench fell, a transaction carries at most this many messages. */
const MAX_PACED_TRANSACTION = 50;
