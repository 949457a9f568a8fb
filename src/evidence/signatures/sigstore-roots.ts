import { TrustedRoot } from '@sigstore/protobuf-specs';
import { type TrustMaterial, toTrustMaterial } from '@sigstore/verify';
import { InvalidDocumentError } from '../../platform/errors.js';
import { flatText } from '../../platform/text/quote.js';
import { type ParsedCertificate, parseCertificateDer } from './certificate.js';
import { tooDeepAt } from './sigstore-bundle.js';

/** A Sigstore trusted root (trusted_root.json), read once for verification. */
export interface SigstoreRoot {
  root: TrustedRoot;
  material: TrustMaterial;
}

/** What an admin sees about a trusted root they upload (and what cabinet stores beside it). */
export interface SigstoreRootDescription {
  media_type: string;
  /** RFC 4514 subject of each Fulcio CA's first certificate. */
  certificate_authorities: string[];
  tlogs: Array<{ base_url: string; log_id: string }>;
  ctlogs: Array<{ base_url: string; log_id: string }>;
  /** RFC 4514 subject of each TSA's signing certificate. */
  timestamp_authorities: string[];
}

const MAX_ROOT_DEPTH = 16;

/**
 * Reads a trusted_root.json an admin uploads: the protobuf reader, then every certificate and
 * key the verifier will use, so a root that is accepted here cannot fail later. A refusal is
 * an InvalidDocumentError `invalid_trusted_root` (4xx), with a flat, bounded message.
 */
export function parseSigstoreTrustedRoot(json: unknown): SigstoreRootDescription {
  return describe(readRoot(json, (message) => invalidRoot(message)));
}

/**
 * The configured roots, for verification. They were vetted by parseSigstoreTrustedRoot when
 * stored, so one that no longer reads is a server fault (plain Error → 500).
 */
export function configuredSigstoreRoots(roots: unknown[]): SigstoreRoot[] {
  return roots.map((json, i) =>
    readRoot(json, (message) => new Error(`Configured Sigstore trusted root ${i}: ${message}`)),
  );
}

function readRoot(json: unknown, fail: (message: string) => Error): SigstoreRoot {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw fail('a trusted root must be a JSON object.');
  }
  const deep = tooDeepAt(json, MAX_ROOT_DEPTH);
  if (deep !== null) throw fail(`${deep} is nested more than ${MAX_ROOT_DEPTH} levels deep.`);
  let root: TrustedRoot;
  let material: TrustMaterial;
  try {
    root = TrustedRoot.fromJSON(json);
    material = toTrustMaterial(root);
  } catch (error) {
    throw fail(`it does not read as a Sigstore trusted root: ${boundedMessage(error)}.`);
  }
  if (root.certificateAuthorities.length === 0 && root.timestampAuthorities.length === 0) {
    throw fail('it names no certificate authority, so no bundle could ever verify against it.');
  }
  for (const [i, ca] of [...root.certificateAuthorities, ...root.timestampAuthorities].entries()) {
    if (ca.certChain?.certificates.length === 0 || !ca.certChain) {
      throw fail(`authority ${i} has an empty certificate chain.`);
    }
    for (const cert of ca.certChain.certificates) {
      if (!parseCertificateDer(Buffer.from(cert.rawBytes))) {
        throw fail(`authority ${i} holds bytes that are not an X.509 certificate.`);
      }
    }
  }
  return { root, material };
}

function invalidRoot(message: string): InvalidDocumentError {
  const text = `The Sigstore trusted root is not usable: ${message}`;
  return new InvalidDocumentError(text, [{ path: '', message }], 'invalid_trusted_root');
}

function boundedMessage(error: unknown): string {
  return flatText(error instanceof Error ? error.message : String(error), 200);
}

function describe({ root }: SigstoreRoot): SigstoreRootDescription {
  const log = (l: TrustedRoot['tlogs'][number]) => ({
    base_url: l.baseUrl,
    log_id: Buffer.from(l.logId?.keyId ?? Buffer.alloc(0)).toString('hex'),
  });
  const firstSubject = (chain: { rawBytes: Buffer }[] | undefined) =>
    chain?.[0] ? (parseCertificateDer(Buffer.from(chain[0].rawBytes))?.subject ?? '') : '';
  return {
    media_type: root.mediaType,
    certificate_authorities: root.certificateAuthorities.map((ca) =>
      firstSubject(ca.certChain?.certificates),
    ),
    tlogs: root.tlogs.map(log),
    ctlogs: root.ctlogs.map(log),
    timestamp_authorities: root.timestampAuthorities.map((ca) =>
      firstSubject(ca.certChain?.certificates),
    ),
  };
}

/** The certificates of every Fulcio CA in the root, each chain in order. */
export function certificateAuthorityChains(root: TrustedRoot): ParsedCertificate[][] {
  return root.certificateAuthorities.map((ca) =>
    (ca.certChain?.certificates ?? []).flatMap((c) => {
      const cert = parseCertificateDer(Buffer.from(c.rawBytes));
      return cert ? [cert] : [];
    }),
  );
}

/** The TSA signing certificates of the root. */
export function timestampAuthorityCertificates(root: TrustedRoot): ParsedCertificate[] {
  return root.timestampAuthorities.flatMap((ca) => {
    const first = ca.certChain?.certificates[0];
    const cert = first ? parseCertificateDer(Buffer.from(first.rawBytes)) : undefined;
    return cert ? [cert] : [];
  });
}
