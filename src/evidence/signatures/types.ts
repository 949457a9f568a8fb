/** What a verified `signature` evidence item records (DESIGN "Evidence items (intake)"). */
export interface SignatureSummary {
  method: 'x509' | 'sigstore' | 'authenticode';
  /** RFC 4514 subject of the signing (leaf) certificate. */
  signer_subject: string;
  /** RFC 4514 issuer of the signing certificate. */
  issuer: string;
  /** Serial number of the signing certificate, lowercase hex. */
  serial_number: string;
  not_before: string;
  not_after: string;
  /** Scheme that verified, e.g. `ECDSA-P256-SHA256`, `RSASSA-PSS-SHA256`, `Ed25519`. */
  algorithm: string;
  chain_valid: true;
  code_signing: true;
  signature_valid: true;
  /** Every certificate on the path was valid at the verification instant `at`. */
  valid_at_signing_time: true;
  trust_anchor_subject: string;
  /** SHA-256 of the anchor's DER encoding, lowercase hex. */
  trust_anchor_sha256: string;
  /**
   * Where the signing instant came from, when not from the verification clock: an
   * Authenticode RFC 3161 or legacy countersignature, a Sigstore RFC 3161 timestamp or the
   * transparency log's integrated time. Absent: validity was judged at `at` (now).
   */
  timestamp?: {
    kind: 'rfc3161' | 'legacy_countersignature' | 'tlog';
    /** The instant the timestamp vouches for, ISO 8601 UTC. */
    at: string;
    /** RFC 4514 subject of the TSA certificate, or the log's id for `tlog`. */
    authority: string;
  };
  /** Sigstore keyless: the identity in the Fulcio certificate. */
  identity?: { san: string; issuer: string };
  /** Authenticode: the file format, the digest algorithm and the nested signatures seen. */
  authenticode?: { format: 'pe' | 'msi'; digest_algorithm: string; nested_signatures: number };
}

export interface DetachedSignatureInput {
  /** The artifact's SHA-256, 64 hex characters; the signed message is this text in lowercase. */
  artifactSha256: string;
  /** Base64 signature over the 64 ASCII bytes of the lowercase hex digest. */
  signature: string;
  /** PEM certificates, leaf first, each issued by the next; the root may be omitted. */
  certificateChain: string[];
  /** PEM trust anchors (roots, or intermediates the admin chose to trust). */
  trustAnchors: string[];
  /** Verification instant (injected clock): every certificate must be valid then. */
  at: Date;
}

export interface SigstoreBundleInput {
  artifactSha256: string;
  /** The bundle JSON as uploaded. */
  bundle: unknown;
  trustAnchors: string[];
  /**
   * The configured Sigstore trusted roots: parsed trusted_root.json documents (vetted by
   * parseSigstoreTrustedRoot when stored), possibly none. Absent is read as none.
   */
  trustedRoots?: unknown[];
  /** Verification instant: X.509-anchor chains and keyed bundles without log data are judged then. */
  at: Date;
}
