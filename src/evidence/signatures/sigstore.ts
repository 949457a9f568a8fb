import { verifyChain } from './chain.js';
import { signatureFailure } from './failures.js';
import {
  artifactDigest,
  trustAnchors,
  uploadedCertificates,
  verificationInstant,
} from './inputs.js';
import { firstScheme, leafSigningKey, type SigningKey } from './key-algorithms.js';
import { canVerifyDigest, verifyDigest } from './prehashed.js';
import {
  type ArtifactBinding,
  artifactBinding,
  bundleCertificates,
  readBundle,
} from './sigstore-bundle.js';
import { runSigstoreVerifier, type SignatureCheck } from './sigstore-verifier.js';
import { summarize } from './summary.js';
import type { SignatureSummary, SigstoreBundleInput } from './types.js';

/** Extension holding embedded Certificate Transparency SCTs (RFC 6962 §3.3). */
const SCT_EXTENSION_OID = '1.3.6.1.4.1.11129.2.4.2';

/**
 * Verifies a Sigstore bundle offline against cabinet's X.509 trust anchors.
 *
 * Supported: bundles carrying the signing certificate (v0.1–v0.3) whose content is either a
 * message signature over the artifact, made with ECDSA P-256/P-384 or RSA PKCS#1 v1.5 and
 * carrying a SHA2_256 message digest, or a DSSE envelope holding an in-toto statement whose
 * subject lists the artifact's sha256. Refused with `unsupported_bundle`: key-hint bundles,
 * message signatures by Ed25519 or RSA-PSS keys (they cannot be checked from a digest), other
 * digest algorithms, non-in-toto DSSE payloads and Fulcio "keyless" certificates (they need
 * the Rekor and CT log keys of a Sigstore trusted root). See
 * docs/architecture/signature-verification.md.
 */
export function verifySigstoreBundle(input: SigstoreBundleInput): SignatureSummary {
  const digest = artifactDigest(input.artifactSha256);
  const at = verificationInstant(input.at);
  const anchors = trustAnchors(input.trustAnchors);
  const bundle = readBundle(input.bundle);
  const encoded = bundleCertificates(bundle);
  const binding = artifactBinding(bundle);
  const certificates = uploadedCertificates(encoded.der, encoded.pathOf);
  const leaf = certificates[0]!;
  const signer = leafSigningKey(leaf, encoded.pathOf(0));
  if (leaf.extensionOids.includes(SCT_EXTENSION_OID)) {
    throw signatureFailure(
      'unsupported_bundle',
      `The signing certificate ${leaf.subject} embeds Certificate Transparency timestamps, as ` +
        'Fulcio "keyless" certificates do; verifying those needs the Rekor and CT log keys ' +
        'of a Sigstore trusted root, which cabinet does not hold (it trusts X.509 anchors only).',
      encoded.pathOf(0),
    );
  }
  const check = signatureCheck(binding, signer);
  const chain = verifyChain({ certificates, anchors, at, pathOf: encoded.pathOf });
  const bound =
    binding.kind === 'message'
      ? binding.digest.equals(Buffer.from(digest, 'hex'))
      : binding.subjectDigests.includes(digest);
  if (!bound) {
    throw signatureFailure(
      'signature_mismatch',
      binding.kind === 'message'
        ? `The bundle signs a message whose SHA-256 is not the artifact's sha256:${digest}.`
        : `The attestation's subjects do not include the artifact sha256:${digest}.`,
      binding.kind === 'message'
        ? '/messageSignature/messageDigest/digest'
        : '/dsseEnvelope/payload',
    );
  }
  const algorithm = runSigstoreVerifier(bundle, check, chain.path, anchors, at);
  return summarize('sigstore', chain, algorithm);
}

/**
 * How to check the signature. @sigstore/verify checks a message signature against the
 * artifact bytes, which cabinet may not have; ECDSA and RSA PKCS#1 v1.5 sign H(m), so the
 * digest (bound to the artifact above) stands in for them. Other keys sign the bytes
 * themselves and are refused. A DSSE signature covers the envelope, which the bundle holds
 * whole, so the library checks it as is.
 */
function signatureCheck(binding: ArtifactBinding, signer: SigningKey): SignatureCheck {
  if (binding.kind === 'dsse') {
    return (key, content) => (content.verifySignature(key) ? firstScheme(signer) : undefined);
  }
  if (!canVerifyDigest(signer)) {
    throw signatureFailure(
      'unsupported_bundle',
      `The bundle holds a message signature by an ${signer.type} key, which signs the artifact ` +
        'bytes themselves; cabinet holds only the artifact digest and so cannot check it. ' +
        'Use an ECDSA or RSA key, a DSSE attestation, or a detached signature.',
      '/messageSignature/signature',
    );
  }
  // The key is the leaf's, which `signer` already holds.
  return () => verifyDigest(signer, binding.digest, binding.signature);
}
