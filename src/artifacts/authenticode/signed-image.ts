import type { DigestAlgorithm } from './excluding-hasher.js';

/**
 * A file whose Authenticode signature has been located: what the verifier needs, whatever the
 * format. The MSI reader builds the same shape from a compound file.
 */
export interface SignedImage {
  format: 'pe' | 'msi';
  /** DER CMS ContentInfo(SignedData) blobs, one per WIN_CERTIFICATE (PE) or the signature stream (MSI). */
  pkcs7: Buffer[];
  /** The Authenticode digest of the file with `algorithm`; rejects when it cannot be computed. */
  digest(algorithm: DigestAlgorithm): Promise<Buffer>;
}
