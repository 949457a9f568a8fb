/**
 * A DSSE envelope of the bundle (the pack's, the CAB decision's) checked against the keys the
 * person verifying trusts: a signature whose keyid names a trusted key must verify over PAE,
 * and the payload must be an in-toto Statement v1. What the statement says is checked by the
 * caller, which knows what it should be about.
 */
import type { ResolvedKey } from './bundle-keys.js';
import type { ParsedEnvelope } from './bundle-schema.js';
import type { CheckList } from './bundle-types.js';
import { type ParsedStatement, verifyEnvelope } from './dsse.js';

export interface EnvelopeLabels {
  /** The check's part: `envelope`, `cab_decision.signature`. */
  part: string;
  /** How messages name the envelope: `the envelope`, `the decision attestation`. */
  name: string;
  /** What its statement is, for the passing message: `the in-toto statement`. */
  statement: string;
}

/** The statement, when the envelope verifies under a trusted key whose id it names. */
export function checkSignedEnvelope(
  envelope: ParsedEnvelope,
  trusted: readonly ResolvedKey[],
  checks: CheckList,
  labels: EnvelopeLabels,
): ParsedStatement | undefined {
  const { part, name } = labels;
  if (envelope.signatures.length === 0) {
    checks.fail(part, `${name} carries no signature`);
    return undefined;
  }
  const named = new Set(envelope.signatures.map((s) => s.keyid));
  const candidates = trusted.filter((k) => named.has(k.keyId));
  if (candidates.length === 0) {
    checks.fail(part, `${name} is signed by key ${[...named].join(', ')}, not by a key you trust`);
    return undefined;
  }
  let problem = '';
  for (const key of candidates) {
    const result = verifyEnvelope(envelope, key.pem);
    if (result.ok) {
      checks.pass(
        part,
        `the DSSE signature of key ${result.keyId} verifies over ${labels.statement}`,
      );
      return result.statement;
    }
    problem ||= result.problem;
  }
  checks.fail(part, problem);
  return undefined;
}

/** The `digest.sha256` of each subject of a statement (undefined where there is none). */
export function subjectDigests(statement: ParsedStatement): unknown[] {
  return statement.subject.map((s) => {
    const digest = s.digest as { sha256?: unknown } | null | undefined;
    return typeof digest === 'object' && digest !== null ? digest.sha256 : undefined;
  });
}
