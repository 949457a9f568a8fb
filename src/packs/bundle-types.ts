import type { Checkpoint, StoredAuditEvent } from '../audit/chain.js';
import type { DsseEnvelope } from './dsse.js';
import type { PackBody } from './pack-body.js';

export const BUNDLE_FORMAT = 'cabinet-evidence-bundle/v1';

/** An event that does not concern the pack: only its place in the chain is disclosed. */
export interface RedactedAuditEvent {
  seq: number;
  prev_hash: string;
  hash: string;
  redacted: true;
}

/** A full event (`data` is the canonical JSON text as stored) or a redacted link. */
export type BundleAuditEvent = StoredAuditEvent | RedactedAuditEvent;

/** A stored document the pack body references, carried byte for byte. */
export interface BundleDocument {
  sha256: string;
  kind: string;
  format: string;
  media_type: string;
  size_bytes: number;
  content_base64: string;
}

/**
 * The pack's CAB request as it stood at export. `request_id` and `status` are labels (not
 * signed); the attestation is the server's signed decision (predicateType
 * `urn:cabinet:cab-decision:v1`), present once the request was approved and null while it is
 * pending or when it was denied or superseded.
 */
export interface BundleCabDecision {
  request_id: string;
  status: string;
  attestation: DsseEnvelope | null;
}

/** The self-contained export of one pack (docs/architecture/pack-verification.md). */
export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  exported_at: string;
  /** `digest` = SHA-256 of the RFC 8785 text of `body`. */
  pack: { id: string; version: string; digest: string; body: PackBody };
  envelope: DsseEnvelope;
  documents: BundleDocument[];
  audit: {
    /** A contiguous seq range ending at the checkpoint's seq. */
    events: BundleAuditEvent[];
    /** Signed checkpoint at the last event; null only when the server could not sign one. */
    checkpoint: Checkpoint | null;
  };
  public_key: { key_id: string; algorithm: 'ed25519'; pem: string };
  /**
   * The pack's CAB request and its decision attestation; null when the pack had not been
   * submitted at export. Absent from bundles exported before decisions were bundled.
   */
  cab_decision?: BundleCabDecision | null;
}

export interface BundleCheck {
  /** What was checked: `format`, `key`, `pack.digest`, `documents[<sha256>]`, `audit`, … */
  part: string;
  ok: boolean;
  message: string;
}

export interface BundleVerification {
  ok: boolean;
  checks: BundleCheck[];
}

/** A key the verifier trusts; `key_id`, when given, must be the id of `pem`. */
export interface TrustedKey {
  key_id?: string;
  pem: string;
}

export interface DocumentProgress {
  /** Documents hashed so far, out of `total`. */
  done: number;
  total: number;
  /** Bytes hashed so far. */
  bytes: number;
}

export interface VerifyBundleOptions {
  trustedKeys: readonly TrustedKey[];
  /** Called after each document is hashed (the dominant cost), for a progress display. */
  onProgress?: (progress: DocumentProgress) => void;
}

/** Collects checks in order; a part passes only if nothing failed. */
export class CheckList {
  readonly checks: BundleCheck[] = [];

  pass(part: string, message: string): void {
    this.checks.push({ part, ok: true, message });
  }

  fail(part: string, message: string): void {
    this.checks.push({ part, ok: false, message });
  }

  /** A part that depends on something unreadable fails explicitly: silence is not success. */
  skip(part: string, because: string): void {
    this.fail(part, `not checked: ${because}`);
  }

  result(): BundleVerification {
    return { ok: this.checks.every((c) => c.ok), checks: this.checks };
  }
}
