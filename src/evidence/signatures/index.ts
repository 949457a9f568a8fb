export { verifyDetachedSignature } from './detached.js';
export type { SignatureFailureReason } from './failures.js';
export { verifySigstoreBundle } from './sigstore.js';
export { describeTrustAnchor, type TrustAnchorDescription } from './trust-anchor.js';
export type { DetachedSignatureInput, SignatureSummary, SigstoreBundleInput } from './types.js';
export { parseSignatureUpload, type SignatureUpload } from './upload.js';
