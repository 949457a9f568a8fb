import { createHash } from 'node:crypto';
import { canonicalJson } from '../platform/crypto/canonical-json.js';

/** prev_hash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** An event as stored: `data` is its canonical JSON text. */
export interface StoredAuditEvent {
  seq: number;
  id: string;
  event_type: string;
  correlation_id: string | null;
  actor: string;
  subject: string | null;
  data: string;
  created_at: string;
  prev_hash: string;
  hash: string;
}

export type UnhashedEvent = Omit<StoredAuditEvent, 'hash'>;

/**
 * The RFC 8785 canonical JSON of an event without its hash, `data` embedded as JSON.
 * Built by hand because it sits on the verify hot path: with `data` already canonical, this
 * equals canonicalJson({...event, data: JSON.parse(data)}) (a property test holds us to it)
 * at a fraction of the cost. Keys are in JCS order; JCS strings are JSON.stringify strings.
 */
export function canonicalEventText(event: UnhashedEvent): string {
  return (
    `{"actor":${JSON.stringify(event.actor)}` +
    `,"correlation_id":${event.correlation_id === null ? 'null' : JSON.stringify(event.correlation_id)}` +
    `,"created_at":${JSON.stringify(event.created_at)}` +
    `,"data":${event.data}` +
    `,"event_type":${JSON.stringify(event.event_type)}` +
    `,"id":${JSON.stringify(event.id)}` +
    `,"prev_hash":${JSON.stringify(event.prev_hash)}` +
    `,"seq":${event.seq}` +
    `,"subject":${event.subject === null ? 'null' : JSON.stringify(event.subject)}}`
  );
}

export function hashEvent(event: UnhashedEvent): string {
  return createHash('sha256').update(canonicalEventText(event)).digest('hex');
}

/** The canonical text stored in `data`: what gets hashed, byte for byte. */
export function canonicalData(data: Record<string, unknown>): string {
  return canonicalJson(data);
}

export interface Checkpoint {
  seq: number;
  hash: string;
  key_id: string;
  signature: string;
  created_at: string;
}

/** The bytes a checkpoint signature covers. */
export function checkpointMessage(c: Omit<Checkpoint, 'signature'>): string {
  return canonicalJson({
    type: 'cabinet.audit.checkpoint/v1',
    seq: c.seq,
    hash: c.hash,
    key_id: c.key_id,
    created_at: c.created_at,
  });
}

export type ChainBreakReason =
  | 'edited'
  | 'deleted'
  | 'reordered'
  | 'truncated'
  | 'checkpoint_mismatch'
  | 'bad_checkpoint_signature';

export interface ChainBreak {
  seq: number;
  reason: ChainBreakReason;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  events_checked: number;
  last_seq: number;
  last_hash: string;
  checkpoints_checked: number;
  first_bad: ChainBreak | null;
}

/**
 * Streaming chain verifier: feed events in `seq` order with push(); it keeps O(1) state
 * plus the checkpoint list, so a million-event log verifies in constant memory.
 */
export class ChainVerifier {
  #expectedSeq: number;
  #prevHash: string;
  #checked = 0;
  #checkpointsChecked = 0;
  #break: ChainBreak | null = null;
  /** Set by a break in the events themselves; a bad checkpoint alone does not stop reading. */
  #eventsBroken = false;
  readonly #checkpoints: Map<number, Checkpoint>;
  readonly #maxCheckpoint: Checkpoint | null;

  /**
   * `start` lets a verifier begin mid-chain (an exported excerpt): the seq and hash of the
   * event just before the first one pushed.
   */
  constructor(
    checkpoints: Checkpoint[],
    verifySignature: (checkpoint: Checkpoint) => boolean,
    start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
  ) {
    this.#expectedSeq = start.seq + 1;
    this.#prevHash = start.hash;
    this.#checkpoints = new Map();
    let max: Checkpoint | null = null;
    for (const checkpoint of checkpoints) {
      if (!verifySignature(checkpoint)) {
        this.#fail(
          checkpoint.seq,
          'bad_checkpoint_signature',
          `the checkpoint at seq ${checkpoint.seq} does not carry a valid signature of key ${checkpoint.key_id}`,
        );
      }
      this.#checkpoints.set(checkpoint.seq, checkpoint);
      if (max === null || checkpoint.seq > max.seq) max = checkpoint;
    }
    this.#maxCheckpoint = max;
  }

  /** Returns false once the chain is known to be broken (the caller may stop reading). */
  push(event: StoredAuditEvent): boolean {
    if (this.#eventsBroken) return false;
    if (event.seq > this.#expectedSeq) {
      const missing =
        event.seq - 1 === this.#expectedSeq
          ? `seq ${this.#expectedSeq} is missing`
          : `seq ${this.#expectedSeq}..${event.seq - 1} are missing`;
      return this.#failEvent(this.#expectedSeq, 'deleted', `${missing}: events were deleted`);
    }
    if (event.seq < this.#expectedSeq) {
      return this.#failEvent(
        event.seq,
        'reordered',
        `seq ${event.seq} appears after seq ${this.#expectedSeq - 1}: events were reordered`,
      );
    }
    if (event.prev_hash !== this.#prevHash) {
      return this.#failEvent(
        event.seq,
        'reordered',
        `seq ${event.seq} does not link to seq ${event.seq - 1} (prev_hash differs): events were reordered or replaced`,
      );
    }
    if (hashEvent(event) !== event.hash) {
      return this.#failEvent(
        event.seq,
        'edited',
        `seq ${event.seq} does not match its hash: the event was edited`,
      );
    }
    const checkpoint = this.#checkpoints.get(event.seq);
    if (checkpoint) {
      this.#checkpointsChecked += 1;
      if (checkpoint.hash !== event.hash) {
        return this.#failEvent(
          event.seq,
          'checkpoint_mismatch',
          `seq ${event.seq} differs from the signed checkpoint: the log was rewritten`,
        );
      }
    }
    this.#checked += 1;
    this.#expectedSeq += 1;
    this.#prevHash = event.hash;
    return true;
  }

  finish(): VerifyResult {
    const lastSeq = this.#expectedSeq - 1;
    if (!this.#eventsBroken && this.#maxCheckpoint && this.#maxCheckpoint.seq > lastSeq) {
      this.#fail(
        lastSeq + 1,
        'truncated',
        `the log ends at seq ${lastSeq} but a signed checkpoint covers seq ${this.#maxCheckpoint.seq}: events were truncated`,
      );
    }
    return {
      ok: this.#break === null,
      events_checked: this.#checked,
      last_seq: lastSeq,
      last_hash: this.#prevHash,
      checkpoints_checked: this.#checkpointsChecked,
      first_bad: this.#break,
    };
  }

  #failEvent(seq: number, reason: ChainBreakReason, message: string): false {
    this.#eventsBroken = true;
    return this.#fail(seq, reason, message);
  }

  #fail(seq: number, reason: ChainBreakReason, message: string): false {
    if (!this.#break || seq < this.#break.seq) {
      this.#break = { seq, reason, message };
    }
    return false;
  }
}
