import { verifyChain } from './chain.js';
import { decodeBase64 } from './encoding.js';
import { signatureFailure } from './failures.js';
import {
  artifactDigest,
  trustAnchors,
  uploadedCertificates,
  verificationInstant,
} from './inputs.js';
import { leafSigningKey, verifyMessage } from './key-algorithms.js';
import { summarize } from './summary.js';
import type { DetachedSignatureInput, SignatureSummary } from './types.js';

/**
 * Verifies a detached signature with an X.509 code-signing chain.
 *
 * Convention: the signed message is the artifact's SHA-256 written as 64 lowercase hex ASCII
 * characters (DESIGN: "signature over the artifact digest"). Signing that short text rather
 * than the artifact lets cabinet verify artifacts it only knows by digest, with any key
 * type, Ed25519 included (pure EdDSA cannot sign a precomputed hash). Throws
 * InvalidDocumentError with a stable `reason` on every failure; see
 * docs/architecture/signature-verification.md.
 */
export function verifyDetachedSignature(input: DetachedSignatureInput): SignatureSummary {
  const digest = artifactDigest(input.artifactSha256);
  const at = verificationInstant(input.at);
  const anchors = trustAnchors(input.trustAnchors);
  const signature = decodeBase64(input.signature);
  if (!signature) {
    throw signatureFailure(
      'malformed_signature',
      'The signature is not valid base64.',
      '/signature',
    );
  }
  const certificates = uploadedCertificates(
    input.certificateChain,
    (i) => `/certificate_chain/${i}`,
  );
  const chain = verifyChain({
    certificates,
    anchors,
    at,
    pathOf: (i) => `/certificate_chain/${i}`,
  });
  const signer = leafSigningKey(chain.leaf, '/certificate_chain/0');
  const algorithm = verifyMessage(signer, Buffer.from(digest, 'ascii'), signature);
  if (!algorithm) {
    throw signatureFailure(
      'signature_mismatch',
      `The signature does not verify over artifact sha256:${digest} with the key of ` +
        `${chain.leaf.subject}: the artifact is not the one that was signed, the signature was ` +
        'made with another key, or it does not sign the 64-character hex digest.',
      '/signature',
    );
  }
  return summarize('x509', chain, algorithm);
}
