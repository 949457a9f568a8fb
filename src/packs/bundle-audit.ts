/**
 * The audit excerpt: a contiguous run of chain events ending at a signed checkpoint, with the
 * pack's own generation event opened. Redacted links are taken on trust for their hash and
 * prev_hash only: they keep the chain connected without disclosing unrelated events, and a
 * forged link still has to hash-link into the opened events and the signed checkpoint.
 */
import { checkpointMessage, GENESIS_HASH, hashEvent } from '../audit/chain.js';
import { verifyEd25519 } from '../platform/crypto/signing-key.js';
import type { ResolvedKey } from './bundle-keys.js';
import type { OpenedEvent, ParsedAudit, ParsedEvent, ParsedPack } from './bundle-schema.js';
import type { CheckList } from './bundle-types.js';

export const PACK_GENERATED_EVENT = 'evidence_pack.generated';

const isOpened = (event: ParsedEvent): event is OpenedEvent => !('redacted' in event);

export function checkAudit(
  audit: ParsedAudit,
  pack: ParsedPack | undefined,
  trusted: readonly ResolvedKey[],
  checks: CheckList,
): void {
  const problems: string[] = [];
  chainProblems(audit.events, problems);
  checkpointProblems(audit, trusted, problems);
  const generatedAt = pack ? generationProblems(audit.events, pack, problems) : null;
  if (!pack) problems.push('not checked: the generation event (the pack could not be read)');
  for (const problem of problems) checks.fail('audit', problem);
  if (problems.length === 0) {
    const { events } = audit;
    const opened = events.filter(isOpened).length;
    checks.pass(
      'audit',
      `seq ${events[0]!.seq}..${events.at(-1)!.seq}: ${events.length} events (${opened} opened, ` +
        `${events.length - opened} redacted) link and match their hashes; signed checkpoint at ` +
        `seq ${audit.checkpoint!.seq} by key ${audit.checkpoint!.key_id}; ` +
        `${PACK_GENERATED_EVENT} at seq ${generatedAt}`,
    );
  }
}

/** Contiguity, hash links and, for opened events, the recomputed hash. One pass (+ a sort). */
function chainProblems(events: readonly ParsedEvent[], problems: string[]): void {
  const first = events[0]!;
  if (first.seq === 1 && first.prev_hash !== GENESIS_HASH) {
    problems.push('seq 1 does not start the chain: its prev_hash is not 64 zeros');
  }
  // To tell removed events from reordered ones: are the skipped seqs elsewhere in the bundle?
  const sorted = events.map((e) => e.seq).sort((a, b) => a - b);
  events.forEach((event, i) => {
    const before = events[i - 1];
    if (before && event.seq !== before.seq + 1) {
      const from = before.seq + 1;
      const to = event.seq - 1;
      problems.push(
        to >= from && countWithin(sorted, from, to) === 0
          ? `${range(from, to)} missing after seq ${before.seq}: events were removed`
          : `seq ${event.seq} follows seq ${before.seq}: events repeat or are out of order`,
      );
    } else if (before && event.prev_hash !== before.hash) {
      problems.push(
        `seq ${event.seq} does not link to seq ${before.seq} (prev_hash differs): an event was replaced or reordered`,
      );
    }
    if (isOpened(event) && hashEvent(event) !== event.hash) {
      problems.push(`seq ${event.seq} does not match its hash: the event was edited`);
    }
  });
}

/** How many of the sorted values lie in [from, to]. */
function countWithin(sorted: readonly number[], from: number, to: number): number {
  return firstAtLeast(sorted, to + 1) - firstAtLeast(sorted, from);
}

function firstAtLeast(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function range(from: number, to: number): string {
  return from === to ? `seq ${from} is` : `seq ${from}..${to} are`;
}

function checkpointProblems(
  audit: ParsedAudit,
  trusted: readonly ResolvedKey[],
  problems: string[],
): void {
  const { checkpoint } = audit;
  const last = audit.events.at(-1)!;
  if (!checkpoint) {
    problems.push('the bundle carries no signed checkpoint: the events are anchored to nothing');
    return;
  }
  if (checkpoint.seq !== last.seq) {
    problems.push(
      `the signed checkpoint is at seq ${checkpoint.seq} but the events end at seq ${last.seq}`,
    );
  } else if (checkpoint.hash !== last.hash) {
    problems.push(
      `seq ${last.seq} differs from the signed checkpoint (hash ${checkpoint.hash}): the chain was rewritten`,
    );
  }
  const key = trusted.find((k) => k.keyId === checkpoint.key_id);
  if (!key) {
    problems.push(`the checkpoint is signed by key ${checkpoint.key_id}, not by a key you trust`);
  } else if (!verifyEd25519(key.pem, checkpointMessage(checkpoint), checkpoint.signature)) {
    problems.push(`the checkpoint signature does not verify under key ${key.keyId}`);
  }
}

/** The seq of the pack's generation event recording this digest, or null after a problem. */
function generationProblems(
  events: readonly ParsedEvent[],
  pack: ParsedPack,
  problems: string[],
): number | null {
  const candidates = events.filter(
    (e): e is OpenedEvent =>
      isOpened(e) && e.event_type === PACK_GENERATED_EVENT && e.subject === pack.id,
  );
  const match = candidates.find((e) => recordedDigest(e) === pack.digest);
  if (match) return match.seq;
  const seen = candidates.map((e) => `seq ${e.seq} records ${recordedDigest(e) ?? 'no digest'}`);
  problems.push(
    candidates.length === 0
      ? `no opened ${PACK_GENERATED_EVENT} event names pack ${pack.id}: its generation is not in the chain`
      : `the ${PACK_GENERATED_EVENT} event does not record the pack's digest ${pack.digest} (${seen.join(', ')})`,
  );
  return null;
}

function recordedDigest(event: OpenedEvent): string | null {
  try {
    const data: unknown = JSON.parse(event.data);
    const digest = (data as { digest?: unknown } | null)?.digest;
    return typeof digest === 'string' ? digest : null;
  } catch {
    return null;
  }
}
