/**
 * The decision attestation: a DSSE envelope over an in-toto Statement v1 whose subject is
 * the artifact and whose predicate says who approved which pack, under which conditions and
 * until when. A deployment plane checks it with the server's public key alone.
 */

import { type DsseEnvelope, IN_TOTO_STATEMENT_TYPE, signPayload } from '../packs/dsse.js';
import { canonicalJson } from '../platform/crypto/canonical-json.js';
import type { SigningKey } from '../platform/crypto/signing-key.js';

export const DECISION_PREDICATE_TYPE = 'urn:cabinet:cab-decision:v1';

export interface DecisionPredicate {
  request_id: string;
  intent_id: string;
  pack: { id: string; version: string; digest: string };
  plane: string;
  status: string;
  change_type: string;
  votes: {
    reviewer_id: string;
    reviewer_email: string;
    roles: string[];
    decision: string;
    at: string;
  }[];
  conditions: {
    id: string;
    text: string;
    blocks_rollout: boolean;
    before_ring: string | null;
    due_at: string | null;
  }[];
  risk: { score: number; model_version: string; recommendation: string };
  approval_policy_version: string;
  decided_at: string;
  authorization_expires_at: string;
}

export interface DecisionStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof DECISION_PREDICATE_TYPE;
  predicate: DecisionPredicate;
}

export function decisionStatement(
  artifact: { name: string; sha256: string },
  predicate: DecisionPredicate,
): DecisionStatement {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: artifact.name, digest: { sha256: artifact.sha256 } }],
    predicateType: DECISION_PREDICATE_TYPE,
    predicate,
  };
}

export function signDecision(statement: DecisionStatement, key: SigningKey): DsseEnvelope {
  return signPayload(canonicalJson(statement), key);
}
