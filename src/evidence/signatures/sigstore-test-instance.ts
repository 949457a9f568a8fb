/**
 * Test support only: a private Sigstore instance built in process with real keys — a
 * Fulcio-like root and intermediate CA issuing short-lived certificates with the SAN and
 * OIDC-issuer extensions and an embedded SCT from a test CT log, a Rekor-like log (see
 * sigstore-test-log.ts), a time-stamping authority (sigstore-test-tsa.ts) — and the
 * trusted_root.json naming them all, as an admin would upload it. Nothing comes from the
 * network; every structure is shaped after what @sigstore/verify reads.
 */
import 'reflect-metadata';
import { createHash, KeyObject, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { X509Certificate as CoreCertificate } from '@sigstore/core';
import { signedCertificateTimestamp } from './sigstore-test-ct.js';
import {
  dsseBody,
  hashedrekordBody,
  type LogEntryOptions,
  logEntry,
  type TestLogKey,
} from './sigstore-test-log.js';
import { type TestTsa, timestampResponse } from './sigstore-test-tsa.js';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const MINUTE_MS = 60_000;
const YEAR_MS = 365 * 86_400_000;
const SCT_OID = '1.3.6.1.4.1.11129.2.4.2';
const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
export const WORKFLOW_SAN =
  'https://github.com/contoso/app/.github/workflows/release.yml@refs/tags/v1.2.0';
export const V01 = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
export const V02 = 'application/vnd.dev.sigstore.bundle+json;version=0.2';
export const V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const IN_TOTO = 'application/vnd.in-toto+json';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

export interface Authority {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

export interface TestLeaf {
  der: Buffer;
  pem: string;
  privateKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
}

export interface LeafOptions {
  notBefore?: Date;
  /** Validity; Fulcio issues for 10 minutes. */
  lifetimeMs?: number;
  san?: { type: 'url' | 'email'; value: string };
  /** Fulcio leaves it empty; a keyed signing certificate names its holder. */
  subject?: string;
  /** Which OIDC-issuer extension(s) to write. */
  issuerExtension?: 'v2' | 'v1' | 'both' | 'none';
  /** Embed an SCT (default true); `forge` signs it with a key that is not the CT log's. */
  sct?: boolean | 'forge';
  /** Leave out the codeSigning extended key usage Fulcio always sets. */
  noCodeSigning?: boolean;
  /** Issue from another CA than the instance's Fulcio. */
  issuer?: Authority;
}

export interface TlogOptions extends Partial<Omit<LogEntryOptions, 'kind' | 'body'>> {
  log?: TestLogKey;
  /** Rewrite the first proof hash after signing (a tampered inclusion proof). */
  tamperProof?: boolean;
  /** Put this digest in the logged body instead of the bundle's. */
  bodyDigest?: string;
}

export interface BundleOptions {
  mediaType?: string;
  /** Transparency-log entry; false for none. */
  tlog?: TlogOptions | false;
  /** RFC 3161 timestamp over the signature at this instant. */
  tsaAt?: Date;
  digest?: string;
  /** DSSE: the statement's subject digests. */
  subjects?: string[];
  /** Sign with this key instead of the certificate's (logged as signed). */
  signWith?: KeyObject;
}

export class SigstoreTestInstance {
  constructor(
    readonly t0: Date,
    readonly fulcioRoot: Authority,
    readonly fulcioIntermediate: Authority,
    readonly rekor: TestLogKey,
    readonly ctlog: TestLogKey,
    readonly tsa: TestTsa & { rootDer: Buffer },
  ) {}

  /** A certificate as Fulcio issues one for a CI workflow, valid from t0 for 10 minutes. */
  async issue(options: LeafOptions = {}): Promise<TestLeaf> {
    const issuer = options.issuer ?? this.fulcioIntermediate;
    const notBefore = options.notBefore ?? this.t0;
    const notAfter = new Date(notBefore.getTime() + (options.lifetimeMs ?? 10 * MINUTE_MS));
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const san = options.san ?? { type: 'url', value: WORKFLOW_SAN };
    const extensions: x509.Extension[] = [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        options.noCodeSigning
          ? x509.ExtendedKeyUsage.serverAuth
          : x509.ExtendedKeyUsage.codeSigning,
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
      // Fulcio leaves the subject empty, so the SAN is critical (RFC 5280 §4.2.1.6).
      new x509.SubjectAlternativeNameExtension([san], true),
      ...issuerExtensions(options.issuerExtension ?? 'both'),
    ];
    const serialNumber = createHash('sha256').update(webcrypto.randomUUID()).digest('hex');
    const create = (exts: x509.Extension[]) =>
      x509.X509CertificateGenerator.create({
        serialNumber: serialNumber.slice(0, 32),
        subject: options.subject ?? '',
        issuer: issuer.cert.subject,
        notBefore,
        notAfter,
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: issuer.keys.privateKey,
        extensions: exts,
      });
    let cert = await create(extensions);
    if (options.sct ?? true) {
      // The log signs the certificate as it is without the SCT extension (RFC 6962 §3.2):
      // issue once without it, have that TBS signed, then issue again with the SCT appended.
      const tbs = CoreCertificate.parse(Buffer.from(cert.rawData)).tbsCertificate.toDER();
      const issuerSpki = Buffer.from(issuer.cert.publicKey.rawData);
      const signer = options.sct === 'forge' ? await logKey('forged-ct', 'ct') : this.ctlog;
      const sct = signedCertificateTimestamp(signer, tbs, issuerSpki, notBefore);
      cert = await create([...extensions, new x509.Extension(SCT_OID, false, sct)]);
    }
    return {
      der: Buffer.from(cert.rawData),
      pem: cert.toString('pem'),
      privateKey: KeyObject.from(keys.privateKey as unknown as webcrypto.CryptoKey),
      notBefore,
      notAfter,
    };
  }

  /** The instance's trusted_root.json; parts can be left out or replaced. */
  trustedRoot(
    options: {
      fulcio?: Authority[];
      tlogs?: TestLogKey[];
      ctlogs?: TestLogKey[];
      tsa?: boolean;
    } = {},
  ) {
    const start = new Date(this.t0.getTime() - YEAR_MS).toISOString();
    const chain = (certs: Buffer[]) => ({
      certificates: certs.map((der) => ({ rawBytes: der.toString('base64') })),
    });
    const log = (key: TestLogKey) => ({
      baseUrl: key.baseUrl,
      hashAlgorithm: 'SHA2_256',
      publicKey: {
        rawBytes: key.publicKeyDer.toString('base64'),
        keyDetails: 'PKIX_ECDSA_P256_SHA_256',
        validFor: { start },
      },
      logId: { keyId: key.logId.toString('base64') },
    });
    const fulcio = options.fulcio ?? [this.fulcioIntermediate];
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: (options.tlogs ?? [this.rekor]).map(log),
      certificateAuthorities: fulcio.map((ca) => ({
        subject: { organization: 'cabinet tests', commonName: ca.cert.subject },
        uri: 'https://fulcio.cabinet.test',
        certChain: chain(caChain(ca, this.fulcioRoot)),
        validFor: { start },
      })),
      ctlogs: (options.ctlogs ?? [this.ctlog]).map(log),
      timestampAuthorities:
        (options.tsa ?? true)
          ? [
              {
                subject: { organization: 'cabinet tests', commonName: 'Cabinet Test TSA' },
                uri: 'https://tsa.cabinet.test',
                certChain: chain([this.tsa.certificateDer, this.tsa.rootDer]),
                validFor: { start },
              },
            ]
          : [],
    };
  }

  /** A cosign sign-blob style bundle: a message signature over the artifact. */
  messageBundle(leaf: TestLeaf, artifact: Buffer, options: BundleOptions = {}) {
    const digest = options.digest ?? createHash('sha256').update(artifact).digest('hex');
    const signature = sign('sha256', artifact, options.signWith ?? leaf.privateKey);
    const mediaType = options.mediaType ?? V03;
    const body = hashedrekordBody(
      options.tlog ? (options.tlog.bodyDigest ?? digest) : digest,
      signature,
      leaf.pem,
    );
    return {
      mediaType,
      verificationMaterial: this.material(
        leaf,
        mediaType,
        'hashedrekord',
        body,
        signature,
        options,
      ),
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: Buffer.from(digest, 'hex').toString('base64'),
        },
        signature: signature.toString('base64'),
      },
    };
  }

  /** A GitHub artifact attestation style bundle: a DSSE in-toto statement about the artifact. */
  dsseBundle(leaf: TestLeaf, artifactDigest: string, options: BundleOptions = {}) {
    const payload = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: (options.subjects ?? [artifactDigest]).map((sha256) => ({
          name: 'app.msi',
          digest: { sha256 },
        })),
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: {},
      }),
    );
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${IN_TOTO.length} ${IN_TOTO} ${payload.length} `),
      payload,
    ]);
    const signature = sign('sha256', pae, options.signWith ?? leaf.privateKey);
    const envelope = {
      payloadType: IN_TOTO,
      payload: payload.toString('base64'),
      signatures: [{ sig: signature.toString('base64'), keyid: '' }],
    };
    const mediaType = options.mediaType ?? V03;
    const body = dsseBody(JSON.stringify(envelope), payload, signature, leaf.pem);
    return {
      mediaType,
      verificationMaterial: this.material(leaf, mediaType, 'dsse', body, signature, options),
      dsseEnvelope: envelope,
    };
  }

  private material(
    leaf: TestLeaf,
    mediaType: string,
    kind: LogEntryOptions['kind'],
    body: unknown,
    signature: Buffer,
    options: BundleOptions,
  ) {
    const tlog = options.tlog === undefined ? {} : options.tlog;
    const entries = [];
    if (tlog) {
      const entry = logEntry(tlog.log ?? this.rekor, {
        kind,
        body,
        integratedTime: Math.floor((leaf.notBefore.getTime() + MINUTE_MS) / 1000),
        promise: mediaType === V01 || tlog.promise !== false,
        proof: mediaType !== V01 && tlog.proof !== false,
        ...tlog,
      });
      if (tlog.tamperProof) {
        const proof = entry.inclusionProof as { hashes: string[] };
        proof.hashes[0] = createHash('sha256').update('tampered').digest('base64');
      }
      entries.push(entry);
    }
    const certificate = { rawBytes: leaf.der.toString('base64') };
    return {
      // v0.1 and v0.2 bundles carry a chain; v0.3 the leaf alone.
      ...(mediaType === V03
        ? { certificate }
        : {
            x509CertificateChain: {
              certificates: [
                certificate,
                { rawBytes: Buffer.from(this.fulcioIntermediate.cert.rawData).toString('base64') },
              ],
            },
          }),
      tlogEntries: entries,
      ...(options.tsaAt
        ? {
            timestampVerificationData: {
              rfc3161Timestamps: [
                {
                  signedTimestamp: timestampResponse(this.tsa, signature, options.tsaAt).toString(
                    'base64',
                  ),
                },
              ],
            },
          }
        : {}),
    };
  }
}

/** The CA's certificates from itself up to (and including) the self-signed root. */
function caChain(ca: Authority, root: Authority): Buffer[] {
  const der = (a: Authority) => Buffer.from(a.cert.rawData);
  return ca === root ? [der(root)] : [der(ca), der(root)];
}

function issuerExtensions(which: NonNullable<LeafOptions['issuerExtension']>): x509.Extension[] {
  const v1 = new x509.Extension(FULCIO_ISSUER_V1, false, Buffer.from(GITHUB_ISSUER));
  // v2 holds a DER UTF8String (Fulcio's OIDC issuer (v2) extension).
  const utf8 = Buffer.from(GITHUB_ISSUER);
  const v2 = new x509.Extension(
    FULCIO_ISSUER_V2,
    false,
    Buffer.concat([Buffer.from([0x0c, utf8.length]), utf8]),
  );
  return { v1: [v1], v2: [v2], both: [v1, v2], none: [] }[which];
}

/** A log's signing key, named as Rekor and CT logs name theirs. */
export async function logKey(name: string, kind: 'rekor' | 'ct'): Promise<TestLogKey> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const publicKeyDer = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const origin = `${name}.${kind}.cabinet.test`;
  return {
    privateKey: KeyObject.from(keys.privateKey as unknown as webcrypto.CryptoKey),
    publicKeyDer,
    logId: createHash('sha256').update(publicKeyDer).digest(),
    baseUrl: `https://${origin}`,
    origin,
  };
}

/** A CA: self-signed when `parent` is absent. */
export async function authority(name: string, parent?: Authority): Promise<Authority> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const common = {
    serialNumber: createHash('sha256').update(name).digest('hex').slice(0, 16),
    notBefore: new Date(Date.UTC(2020, 0, 1)),
    notAfter: new Date(Date.UTC(2040, 0, 1)),
    signingAlgorithm: ALG,
  };
  const extensions = [
    new x509.BasicConstraintsExtension(true, parent ? 0 : 1, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ...(parent ? [await x509.AuthorityKeyIdentifierExtension.create(parent.keys.publicKey)] : []),
  ];
  const subject = `CN=${name}, O=Cabinet Sigstore Tests`;
  const cert = parent
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject,
        issuer: parent.cert.subject,
        publicKey: keys.publicKey,
        signingKey: parent.keys.privateKey,
        extensions,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        ...common,
        name: subject,
        keys,
        extensions,
      });
  return { cert, keys };
}

/** A TSA certificate (critical timeStamping EKU) under its own root. */
async function timestampAuthority(): Promise<TestTsa & { rootDer: Buffer }> {
  const root = await authority('Cabinet Test TSA Root');
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '7e57',
    subject: 'CN=Cabinet Test TSA, O=Cabinet Sigstore Tests',
    issuer: root.cert.subject,
    notBefore: new Date(Date.UTC(2020, 0, 1)),
    notAfter: new Date(Date.UTC(2040, 0, 1)),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: root.keys.privateKey,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.timeStamping], true),
      await x509.AuthorityKeyIdentifierExtension.create(root.keys.publicKey),
    ],
  });
  return {
    certificateDer: Buffer.from(cert.rawData),
    privateKey: KeyObject.from(keys.privateKey as unknown as webcrypto.CryptoKey),
    rootDer: Buffer.from(root.cert.rawData),
  };
}

/** The whole instance; certificates it issues are valid from `t0`. */
export async function createSigstoreTestInstance(t0: Date): Promise<SigstoreTestInstance> {
  const root = await authority('Cabinet Test Fulcio Root');
  const intermediate = await authority('Cabinet Test Fulcio Intermediate', root);
  return new SigstoreTestInstance(
    t0,
    root,
    intermediate,
    await logKey('rekor', 'rekor'),
    await logKey('ctfe', 'ct'),
    await timestampAuthority(),
  );
}
