import type { AuditLog } from '../audit/audit-log.js';
import {
  checkpointAtOrAfter,
  eventsBetween,
  findEventSeq,
  firstSeqForSubject,
  lastSeqForSubject,
} from '../audit/audit-store.js';
import { hashEvent, type StoredAuditEvent } from '../audit/chain.js';
import { readBlob } from '../blobs/blob-store.js';
import type { Clock } from '../platform/clock.js';
import type { SigningKey } from '../platform/crypto/signing-key.js';
import type { Executor } from '../platform/db/database.js';
import type { BundleAuditEvent, BundleCabDecision, EvidenceBundle } from './bundle.js';
import { PACK_GENERATED_EVENT } from './bundle-audit.js';

import type { PackBody } from './pack-body.js';
import { referencedDocuments } from './pack-builder.js';
import type { StoredPack } from './pack-store.js';

const MEDIA_TYPES: Record<string, string> = { junit: 'application/xml' };

/**
 * Assembles the self-contained bundle of one pack: body, envelope, every document it refers
 * to, its CAB request with the decision attestation, and the audit events from the intent's
 * creation to a signed checkpoint at or after the pack's own event and the request's latest
 * (its decision, once decided). Events about other things are shown only as hash links, so
 * the chain can be checked without disclosing them — unless an event no longer matches its
 * stored hash: a redacted link is taken on trust, so an edited event (its subject changed
 * behind the database's back, say) ships opened, and the offline verifier names the edit.
 */
export async function exportBundle(deps: {
  db: Executor;
  audit: AuditLog;
  clock: Clock;
  signingKey: SigningKey;
  pack: StoredPack;
  body: PackBody;
  /** Subjects whose events are shown in full: the intent, its packs, evidence, exceptions… */
  openSubjects: ReadonlySet<string>;
  /** The pack's CAB request, null when it was never submitted. */
  cabDecision: BundleCabDecision | null;
}): Promise<EvidenceBundle> {
  const { db, audit, pack, body } = deps;
  const documents: EvidenceBundle['documents'] = [];
  const seen = new Set<string>();
  for (const ref of referencedDocuments(body)) {
    if (seen.has(ref.sha256)) continue;
    seen.add(ref.sha256);
    const bytes = await readBlob(db, ref.sha256);
    if (!bytes) continue; // verify will name it as missing
    documents.push({
      sha256: ref.sha256,
      kind: ref.kind,
      format: ref.format,
      media_type: MEDIA_TYPES[ref.format] ?? 'application/json',
      size_bytes: bytes.length,
      content_base64: bytes.toString('base64'),
    });
  }

  const packSeq = await findEventSeq(db, PACK_GENERATED_EVENT, pack.id);
  const firstSeq = (await firstSeqForSubject(db, pack.intent_id)) ?? packSeq ?? 1;
  // The excerpt reaches the request's latest event, so its decision is in the chain.
  const requestSeq = deps.cabDecision
    ? await lastSeqForSubject(db, deps.cabDecision.request_id)
    : null;
  const lastSeq = Math.max(packSeq ?? firstSeq, requestSeq ?? 0);
  let checkpoint = await checkpointAtOrAfter(db, lastSeq);
  if (!checkpoint) {
    await audit.checkpoint();
    checkpoint = await checkpointAtOrAfter(db, lastSeq);
  }
  const events: BundleAuditEvent[] = [];
  if (checkpoint) {
    for await (const batch of eventsBetween(db, firstSeq, checkpoint.seq)) {
      for (const event of batch) events.push(open(event, deps.openSubjects));
    }
  }
  return {
    format: 'cabinet-evidence-bundle/v1',
    exported_at: deps.clock.now().toISOString(),
    pack: { id: pack.id, version: pack.version, digest: pack.digest, body },
    envelope: pack.envelope,
    documents,
    audit: { events, checkpoint },
    public_key: {
      key_id: deps.signingKey.keyId,
      algorithm: 'ed25519',
      pem: deps.signingKey.publicKeyPem,
    },
    cab_decision: deps.cabDecision,
  };
}

function open(event: StoredAuditEvent, subjects: ReadonlySet<string>): BundleAuditEvent {
  if (event.subject !== null && subjects.has(event.subject)) return event;
  if (hashEvent(event) !== event.hash) return event;
  return { seq: event.seq, prev_hash: event.prev_hash, hash: event.hash, redacted: true };
}
