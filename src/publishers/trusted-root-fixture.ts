/**
 * Test support only: a Sigstore trusted_root.json for a throw-away instance, shaped like the
 * public-good one (a Fulcio-like CA made with the openssl command line, Rekor and CT log keys
 * made with node:crypto), so tests feed the real libraries real key and certificate bytes.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function logKey(baseUrl: string) {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return {
    baseUrl,
    hashAlgorithm: 'SHA2_256',
    publicKey: {
      rawBytes: spki.toString('base64'),
      keyDetails: 'PKIX_ECDSA_P256_SHA_256',
      validFor: { start: '2024-01-01T00:00:00Z' },
    },
    logId: { keyId: createHash('sha256').update(spki).digest('base64') },
  };
}

function caCertificateDer(commonName: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'cabinet-root-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'ca.key',
        '-outform',
        'DER',
        '-out',
        'ca.der',
        '-days',
        '3650',
        '-subj',
        `/O=example.org/CN=${commonName}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    return readFileSync(join(dir, 'ca.der'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A trusted root with one CA, one Rekor log and one CT log; `name` varies the URLs. */
export function testTrustedRoot(name = 'sigstore.test'): Record<string, unknown> {
  return {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [logKey(`https://rekor.${name}`)],
    certificateAuthorities: [
      {
        subject: { organization: 'example.org', commonName: `fulcio.${name}` },
        uri: `https://fulcio.${name}`,
        certChain: {
          certificates: [{ rawBytes: caCertificateDer(`fulcio.${name}`).toString('base64') }],
        },
        validFor: { start: '2024-01-01T00:00:00Z' },
      },
    ],
    ctlogs: [logKey(`https://ctfe.${name}/test`)],
    timestampAuthorities: [],
  };
}
