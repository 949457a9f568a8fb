export { verifyDetachedSignature } from './detached.js';
export type { SignatureFailureReason } from './failures.js';
export { verifySigstoreBundle } from './sigstore.js';
export type { FulcioIdentity } from './sigstore-identity.js';
export { parseSigstoreTrustedRoot, type SigstoreRootDescription } from './sigstore-roots.js';
export { describeTrustAnchor, type TrustAnchorDescription } from './trust-anchor.js';
export type { DetachedSignatureInput, SignatureSummary, SigstoreBundleInput } from './types.js';
export { parseSignatureUpload, type SignatureUpload } from './upload.js';
