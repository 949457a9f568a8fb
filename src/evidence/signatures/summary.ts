import { formatInstant } from './certificate.js';
import type { VerifiedChain } from './chain.js';
import type { SignatureSummary } from './types.js';

export function summarize(
  method: SignatureSummary['method'],
  chain: VerifiedChain,
  algorithm: string,
): SignatureSummary {
  const { leaf, anchor } = chain;
  return {
    method,
    signer_subject: leaf.subject,
    issuer: leaf.issuer,
    serial_number: leaf.serialNumber,
    not_before: formatInstant(leaf.notBefore),
    not_after: formatInstant(leaf.notAfter),
    algorithm,
    chain_valid: true,
    code_signing: true,
    signature_valid: true,
    valid_at_signing_time: true,
    trust_anchor_subject: anchor.subject,
    trust_anchor_sha256: anchor.sha256,
  };
}
