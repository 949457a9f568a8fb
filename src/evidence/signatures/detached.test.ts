import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError, DomainError, InvalidDocumentError } from '../../platform/errors.js';
import { verifyDetachedSignature } from './detached.js';
import { buildStandardPki, DAY_MS, sha256Hex, type TestPki } from './test-pki.js';
import type { DetachedSignatureInput } from './types.js';

const artifact = sha256Hex('cabinet test artifact v1.2.3');
const otherArtifact = sha256Hex('cabinet test artifact v1.2.4');
const YEAR_MS = 365 * DAY_MS;

let pki: TestPki;
let now: Date;

beforeAll(() => {
  pki = buildStandardPki();
  now = new Date();
});

afterAll(() => pki.remove());

/**
 * The documented recipes: `printf %s "$digest" | openssl dgst -sha256 -sign key | base64`, and
 * `openssl pkeyutl -sign -rawin` for EdDSA keys, which take no separate digest.
 */
function sign(leaf: string, digest = artifact, options?: string[]): string {
  const edwards = leaf.endsWith('ed25519') || leaf.endsWith('ed448');
  const signature = edwards ? pki.rawSign(leaf, digest) : pki.dgstSign(leaf, digest, options);
  return signature.toString('base64');
}

function verify(leaf: string, overrides: Partial<DetachedSignatureInput> = {}) {
  return verifyDetachedSignature({
    artifactSha256: artifact,
    signature: overrides.signature ?? sign(leaf),
    certificateChain: [pki.pem(leaf), pki.pem('int')],
    trustAnchors: [pki.pem('root')],
    at: now,
    ...overrides,
  });
}

function failure(run: () => unknown, reason: string): InvalidDocumentError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDocumentError);
    const domain = error as InvalidDocumentError;
    expect({ reason: domain.reason, message: domain.message }).toMatchObject({ reason });
    expect(domain.errors).toHaveLength(1);
    return domain;
  }
  throw new Error(`expected a ${reason} failure`);
}

const INSTANT = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/.source;

describe('verifyDetachedSignature: each key type', () => {
  it('verifies RSA PKCS#1 v1.5 and reports the whole summary', () => {
    const summary = verify('leaf-rsa');
    expect(summary).toMatchObject({
      method: 'x509',
      signer_subject: 'CN=Acme Code Signing (rsa), O=Acme Corp',
      issuer: 'CN=Cabinet Test Issuing CA, O=Cabinet Tests',
      algorithm: 'RSASSA-PKCS1-v1_5-SHA256',
      chain_valid: true,
      code_signing: true,
      signature_valid: true,
      valid_at_signing_time: true,
      trust_anchor_subject: 'CN=Cabinet Test Root CA, O=Cabinet Tests',
    });
    expect(summary.serial_number).toMatch(/^[0-9a-f]+$/);
    expect(summary.not_before).toMatch(new RegExp(`^${INSTANT}$`));
    expect(summary.not_after).toMatch(new RegExp(`^${INSTANT}$`));
    const fingerprint = pki.openssl([
      'x509',
      '-in',
      'root.pem',
      '-noout',
      '-fingerprint',
      '-sha256',
    ]);
    const hex = fingerprint.toString().split('=')[1]!.trim().replaceAll(':', '').toLowerCase();
    expect(summary.trust_anchor_sha256).toBe(hex);
  });

  it('verifies RSA-PSS made by an rsaEncryption key and by an RSA-PSS key', () => {
    const pss = ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'];
    expect(verify('leaf-rsa', { signature: sign('leaf-rsa', artifact, pss) }).algorithm).toBe(
      'RSASSA-PSS-SHA256',
    );
    expect(verify('leaf-rsapss').algorithm).toBe('RSASSA-PSS-SHA256');
  });

  it('verifies ECDSA P-256 and P-384 with SHA-256 or SHA-384', () => {
    expect(verify('leaf-ec256').algorithm).toBe('ECDSA-P256-SHA256');
    const sha384 = sign('leaf-ec256', artifact, ['-sha384']);
    expect(verify('leaf-ec256', { signature: sha384 }).algorithm).toBe('ECDSA-P256-SHA384');
    expect(
      verify('leaf-ec384', { signature: sign('leaf-ec384', artifact, ['-sha384']) }).algorithm,
    ).toBe('ECDSA-P384-SHA384');
    expect(verify('leaf-ec384').algorithm).toBe('ECDSA-P384-SHA256');
  });

  it('verifies Ed25519 (pure) made with openssl pkeyutl -rawin', () => {
    const signature = pki.rawSign('leaf-ed25519', artifact).toString('base64');
    expect(verify('leaf-ed25519', { signature }).algorithm).toBe('Ed25519');
  });

  it('accepts an upper-case digest, since the signed text is always the lower-case form', () => {
    expect(verify('leaf-ec256', { artifactSha256: artifact.toUpperCase() }).signature_valid).toBe(
      true,
    );
  });

  it('accepts base64 wrapped over several lines, as `base64` prints it', () => {
    const wrapped = sign('leaf-rsa').replace(/(.{76})/g, '$1\n');
    expect(verify('leaf-rsa', { signature: wrapped }).signature_valid).toBe(true);
  });
});

describe('verifyDetachedSignature: signature_mismatch', () => {
  it('refuses a signature when the artifact digest differs (tampered artifact)', () => {
    const error = failure(
      () => verify('leaf-ec256', { signature: sign('leaf-ec256', otherArtifact) }),
      'signature_mismatch',
    );
    expect(error.message).toContain(`sha256:${artifact}`);
    expect(error.errors[0]!.path).toBe('/signature');
  });

  it('refuses a signature made with another key than the leaf certificate’s', () => {
    failure(() => verify('leaf-ec256', { signature: sign('other-leaf') }), 'signature_mismatch');
    failure(() => verify('leaf-rsa', { signature: sign('leaf-rsapss') }), 'signature_mismatch');
  });

  it('refuses a signature over the binary digest instead of the 64 hex characters', () => {
    const binary = pki.dgstSign('leaf-ec256', Buffer.from(artifact, 'hex')).toString('base64');
    failure(() => verify('leaf-ec256', { signature: binary }), 'signature_mismatch');
  });

  it('refuses well-formed base64 that is no signature at all', () => {
    failure(() => verify('leaf-ed25519', { signature: 'AAAA' }), 'signature_mismatch');
  });
});

describe('verifyDetachedSignature: certificate validity at the verification instant', () => {
  it('reports an expired signing certificate with its expiry date', () => {
    const at = new Date(now.getTime() + 2 * DAY_MS);
    const error = failure(() => verify('leaf-expiring', { at }), 'certificate_expired');
    expect(error.message).toMatch(
      new RegExp(
        `^The signing certificate CN=Acme Code Signing \\(one day\\), O=Acme Corp expired on ${INSTANT}`,
      ),
    );
    expect(error.errors[0]!.path).toBe('/certificate_chain/0');
  });

  it('reports a signing certificate that is not valid yet', () => {
    const at = new Date(now.getTime() - 60 * 60 * 1000);
    const error = failure(() => verify('leaf-ec256', { at }), 'certificate_not_yet_valid');
    expect(error.message).toMatch(/^The signing certificate .* is not valid before /);
  });

  it('reports an expired intermediate certificate', () => {
    const at = new Date(now.getTime() + 20 * YEAR_MS);
    const error = failure(() => verify('leaf-long', { at }), 'certificate_expired');
    expect(error.message).toMatch(/^The intermediate certificate CN=Cabinet Test Issuing CA/);
    expect(error.errors[0]!.path).toBe('/certificate_chain/1');
  });

  it('reports an expired trust anchor, located at the document root', () => {
    const at = new Date(now.getTime() + 20 * YEAR_MS);
    const run = () =>
      verify('leaf-by-root-long', { at, certificateChain: [pki.pem('leaf-by-root-long')] });
    const error = failure(run, 'certificate_expired');
    expect(error.message).toMatch(/^The trust anchor CN=Cabinet Test Root CA/);
    expect(error.errors[0]!.path).toBe('');
  });

  it('refuses an invalid Date, which would otherwise pass every validity comparison', () => {
    expect(() => verify('leaf-ec256', { at: new Date(Number.NaN) })).toThrow(TypeError);
  });
});

describe('verifyDetachedSignature: trust', () => {
  it('refuses a chain ending at a self-signed root that is not an anchor', () => {
    const chain = [pki.pem('other-leaf'), pki.pem('other-root')];
    const run = () => verify('other-leaf', { certificateChain: chain });
    const error = failure(run, 'untrusted_root');
    expect(error.message).toBe(
      'The certificate chain ends at the self-signed CN=Unrelated Root CA, O=Elsewhere, which is not a configured trust anchor.',
    );
    expect(error.errors[0]!.path).toBe('/certificate_chain/1');
  });

  it('refuses a chain whose last certificate was issued by an unknown CA', () => {
    const run = () => verify('other-leaf', { certificateChain: [pki.pem('other-leaf')] });
    expect(failure(run, 'untrusted_root').message).toContain('issued by CN=Unrelated Root CA');
  });

  it('accepts a chain that includes its root, and one that stops at an anchored intermediate', () => {
    const withRoot = [pki.pem('leaf-ec256'), pki.pem('int'), pki.pem('root')];
    expect(verify('leaf-ec256', { certificateChain: withRoot }).trust_anchor_subject).toContain(
      'Root CA',
    );
    const summary = verify('leaf-ec256', { trustAnchors: [pki.pem('other-root'), pki.pem('int')] });
    expect(summary.trust_anchor_subject).toBe('CN=Cabinet Test Issuing CA, O=Cabinet Tests');
  });

  it('does not let a non-CA anchor issue certificates', () => {
    const run = () =>
      verify('leaf-under-not-ca', {
        certificateChain: [pki.pem('leaf-under-not-ca')],
        trustAnchors: [pki.pem('not-ca')],
      });
    failure(run, 'untrusted_root');
  });

  it('refuses when no trust anchor is configured', () => {
    const error = failure(() => verify('leaf-ec256', { trustAnchors: [] }), 'no_trust_anchors');
    expect(error.message).toContain('an admin must add');
  });

  it('treats a stored anchor that no longer parses as a server fault, not a document error', () => {
    const run = () => verify('leaf-ec256', { trustAnchors: ['not a certificate'] });
    expect(run).toThrow(Error);
    expect(run).not.toThrow(DomainError);
  });
});

describe('verifyDetachedSignature: chain_invalid', () => {
  it('refuses an issuer without basicConstraints cA', () => {
    const chain = [pki.pem('leaf-under-not-ca'), pki.pem('not-ca')];
    const error = failure(
      () => verify('leaf-under-not-ca', { certificateChain: chain }),
      'chain_invalid',
    );
    expect(error.message).toMatch(/^CN=Not A CA, O=Cabinet Tests is not a CA certificate/);
    expect(error.errors[0]!.path).toBe('/certificate_chain/1');
  });

  it('refuses a certificate that the next one in the chain did not sign', () => {
    const chain = [pki.pem('leaf-ec256'), pki.pem('root')];
    const error = failure(() => verify('leaf-ec256', { certificateChain: chain }), 'chain_invalid');
    expect(error.message).toContain('was not issued by CN=Cabinet Test Root CA');
    expect(error.errors[0]!.path).toBe('/certificate_chain/0');
  });

  it('enforces pathLenConstraint', () => {
    const chain = [pki.pem('leaf-too-deep'), pki.pem('sub-int'), pki.pem('int')];
    const error = failure(
      () => verify('leaf-too-deep', { certificateChain: chain }),
      'chain_invalid',
    );
    expect(error.message).toBe(
      'CN=Cabinet Test Issuing CA, O=Cabinet Tests allows at most 0 intermediate CA certificate(s) below it, but the chain has 1.',
    );
  });
});

describe('verifyDetachedSignature: not_code_signing', () => {
  it('refuses a leaf without extendedKeyUsage', () => {
    const error = failure(() => verify('leaf-no-eku'), 'not_code_signing');
    expect(error.message).toContain('does not include codeSigning (1.3.6.1.5.5.7.3.3)');
  });

  it('refuses a leaf whose extendedKeyUsage lacks codeSigning', () => {
    failure(() => verify('leaf-server-auth'), 'not_code_signing');
  });

  it('refuses a leaf whose keyUsage lacks digitalSignature, and accepts one without keyUsage', () => {
    expect(
      failure(() => verify('leaf-no-digital-signature'), 'not_code_signing').message,
    ).toContain('digitalSignature');
    expect(verify('leaf-no-key-usage').code_signing).toBe(true);
  });
});

describe('verifyDetachedSignature: malformed input', () => {
  it('refuses a signature that is not base64', () => {
    for (const signature of ['garbage!', '', 'abc', '====']) {
      const error = failure(() => verify('leaf-ec256', { signature }), 'malformed_signature');
      expect(error.errors[0]!.path).toBe('/signature');
    }
  });

  it('refuses certificates that are not PEM X.509', () => {
    const armoured = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    for (const bad of ['garbage', armoured, pki.pem('int') + pki.pem('root')]) {
      const run = () => verify('leaf-ec256', { certificateChain: [pki.pem('leaf-ec256'), bad] });
      const error = failure(run, 'malformed_certificate');
      expect(error.message).toBe(
        'Certificate 2 of the chain is not a PEM-encoded X.509 certificate.',
      );
      expect(error.errors[0]!.path).toBe('/certificate_chain/1');
    }
  });

  it('refuses an empty chain', () => {
    failure(() => verify('leaf-ec256', { certificateChain: [] }), 'malformed_certificate');
  });

  it('refuses keys cabinet does not accept', () => {
    const p521 = failure(() => verify('leaf-ec521'), 'unsupported_algorithm');
    expect(p521.message).toContain('has an ec secp521r1 key');
    expect(failure(() => verify('leaf-ed448'), 'unsupported_algorithm').message).toContain(
      'an ed448 key',
    );
  });

  it('refuses an artifact digest that is not 64 hex characters as a bad request', () => {
    const run = () => verify('leaf-ec256', { artifactSha256: 'sha256:abc' });
    expect(run).toThrow(BadRequestError);
    expect(run).toThrow(expect.objectContaining({ reason: 'invalid_artifact_digest' }));
  });
});
