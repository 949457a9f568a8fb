import { quote } from '../../platform/text/quote.js';
import { CODE_SIGNING_OID, DIGITAL_SIGNATURE_FLAG, type ParsedCertificate } from './certificate.js';
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
import { fulcioIdentity, isFulcioCertificate } from './sigstore-identity.js';
import { verifyAgainstSigstoreRoots } from './sigstore-root-verifier.js';
import { configuredSigstoreRoots } from './sigstore-roots.js';
import { runSigstoreVerifier, type SignatureCheck } from './sigstore-verifier.js';
import { summarize } from './summary.js';
import type { SignatureSummary, SigstoreBundleInput } from './types.js';

/**
 * Verifies a Sigstore bundle offline, against the admin's Sigstore trusted roots or against
 * cabinet's X.509 trust anchors.
 *
 * Which: a Fulcio "keyless" certificate (embedded SCTs or an OIDC-issuer extension) is
 * verified only against the trusted roots (`no_sigstore_root` when none is configured); so is
 * any bundle when roots are configured and the bundle carries log data (Rekor entries,
 * RFC 3161 timestamps) or no trust anchor is configured. Otherwise — a private CA, no log
 * data — the X.509-anchor path applies, as before trusted roots existed.
 *
 * Supported on both paths: bundles carrying the signing certificate (v0.1–v0.3) whose content
 * is either a message signature over the artifact, made with ECDSA P-256/P-384 or RSA PKCS#1
 * v1.5 and carrying a SHA2_256 message digest, or a DSSE envelope holding an in-toto statement
 * whose subject lists the artifact's sha256. Refused with `unsupported_bundle`: unknown media
 * types, key-hint bundles, message signatures by Ed25519 or RSA-PSS keys (they cannot be
 * checked from a digest), other digest algorithms and non-in-toto DSSE payloads. See
 * docs/architecture/signature-verification.md.
 */
export function verifySigstoreBundle(input: SigstoreBundleInput): SignatureSummary {
  const digest = artifactDigest(input.artifactSha256);
  const at = verificationInstant(input.at);
  const bundle = readBundle(input.bundle);
  const encoded = bundleCertificates(bundle);
  const binding = artifactBinding(bundle);
  const certificates = uploadedCertificates(encoded.der, encoded.pathOf);
  const leaf = certificates[0]!;
  const signer = leafSigningKey(leaf, encoded.pathOf(0));
  const check = signatureCheck(binding, signer);
  const keyless = isFulcioCertificate(leaf);
  const roots = input.trustedRoots ?? [];
  const material = bundle.verificationMaterial;
  const logData =
    material.tlogEntries.length > 0 ||
    (material.timestampVerificationData?.rfc3161Timestamps.length ?? 0) > 0;
  const useRoots = keyless || (roots.length > 0 && (logData || input.trustAnchors.length === 0));
  if (useRoots && roots.length === 0) {
    throw signatureFailure(
      'no_sigstore_root',
      `The bundle is signed "keyless" with a Fulcio certificate (${signerName(leaf)}); ` +
        'verifying it needs the Sigstore trusted root of the instance that issued it (its ' +
        'Fulcio CA, Rekor and CT log keys), and none is configured. An admin adds one with ' +
        '`cabinet sigstore-roots add FILE` (a trusted_root.json).',
      encoded.pathOf(0),
    );
  }
  const anchors = useRoots ? [] : trustAnchors(input.trustAnchors);
  requireBinding(binding, digest);
  if (!useRoots) {
    const chain = verifyChain({ certificates, anchors, at, pathOf: encoded.pathOf });
    const algorithm = runSigstoreVerifier(bundle, check, chain.path, anchors, at);
    return summarize('sigstore', chain, algorithm);
  }
  if (
    !leaf.extendedKeyUsages?.includes(CODE_SIGNING_OID) ||
    (leaf.keyUsage !== undefined && (leaf.keyUsage & DIGITAL_SIGNATURE_FLAG) === 0)
  ) {
    throw signatureFailure(
      'not_code_signing',
      `The signing certificate of ${signerName(leaf)} does not allow code signing ` +
        '(it needs the codeSigning extended key usage and, with a keyUsage, digitalSignature).',
      encoded.pathOf(0),
    );
  }
  const verified = verifyAgainstSigstoreRoots({
    bundle,
    check,
    certificates,
    certificatePath: encoded.pathOf(0),
    signer: signerName(leaf),
    roots: configuredSigstoreRoots(roots),
    keyless,
    at,
  });
  const identity = fulcioIdentity(leaf);
  const summary = summarize(
    'sigstore',
    { leaf, anchor: verified.anchor, path: certificates },
    verified.algorithm,
  );
  return {
    ...summary,
    signer_subject: leaf.subject || identity?.san || '',
    ...(verified.timestamp ? { timestamp: verified.timestamp } : {}),
    ...(identity ? { identity } : {}),
  };
}

/** Fulcio leaves the subject empty; the SAN is who signed. */
function signerName(leaf: ParsedCertificate): string {
  if (leaf.subject) return leaf.subject;
  const identity = fulcioIdentity(leaf);
  return identity?.san ? quote(identity.san) : 'an unnamed signer';
}

/** The bundle must be about this artifact: the signed digest, or a statement subject. */
function requireBinding(binding: ArtifactBinding, digest: string): void {
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
