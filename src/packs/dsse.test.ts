import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../platform/crypto/canonical-json.js';
import { keyIdOf } from '../platform/crypto/signing-key.js';
import { newSigningKey, packBodyFixture } from './bundle-test-fixture.js';
import {
  DSSE_PAYLOAD_TYPE,
  type DsseEnvelope,
  IN_TOTO_STATEMENT_TYPE,
  packStatement,
  pae,
  signEnvelope,
  verifyEnvelope,
} from './dsse.js';
import { PACK_PREDICATE_TYPE } from './pack-body.js';

const key = newSigningKey();
const body = packBodyFixture();
const envelope = signEnvelope(packStatement(body), key);

/** PAE written out from the DSSE v1 spec, independently of `pae`. */
function specPae(type: string, payload: Buffer): Buffer {
  const head = `DSSEv1 ${Buffer.byteLength(type, 'utf8')} ${type} ${payload.length} `;
  return Buffer.concat([Buffer.from(head, 'utf8'), payload]);
}

function independentlyVerifies(e: DsseEnvelope, publicKeyPem: string): boolean {
  const payload = Buffer.from(e.payload, 'base64');
  return verify(
    null,
    specPae(e.payloadType, payload),
    createPublicKey(publicKeyPem),
    Buffer.from(e.signatures[0]!.sig, 'base64'),
  );
}

function withPayload(e: DsseEnvelope, payload: Buffer): DsseEnvelope {
  return { ...e, payload: payload.toString('base64') };
}

/** An envelope over arbitrary bytes, signed properly, to test what verify makes of them. */
function signedOver(payload: Buffer, payloadType = DSSE_PAYLOAD_TYPE): DsseEnvelope {
  return {
    payloadType,
    payload: payload.toString('base64'),
    signatures: [{ keyid: key.keyId, sig: key.sign(pae(payloadType, payload)) }],
  };
}

describe('packStatement', () => {
  it('is an in-toto Statement v1 about the artifact with the body as predicate', () => {
    expect(packStatement(body)).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'ContosoNotes-4.2.1.msi', digest: { sha256: body.artifact_sha256 } }],
      predicateType: 'urn:cabinet:evidence-pack:v1',
      predicate: body,
    });
  });
});

describe('pae', () => {
  it('matches the DSSE v1 specification example', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters', () => {
    const payload = Buffer.from('«é»', 'utf8');
    expect(pae('tÿpe', payload)).toEqual(specPae('tÿpe', payload));
    expect(pae('tÿpe', payload).toString()).toBe('DSSEv1 5 tÿpe 6 «é»');
  });

  it('handles an empty payload', () => {
    expect(pae(DSSE_PAYLOAD_TYPE, Buffer.alloc(0)).toString()).toBe(
      `DSSEv1 28 ${DSSE_PAYLOAD_TYPE} 0 `,
    );
  });
});

describe('signEnvelope', () => {
  it('signs the canonical statement with the key, verifiable without cabinet code', () => {
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(Buffer.from(envelope.payload, 'base64').toString('utf8')).toBe(
      canonicalJson(packStatement(body)),
    );
    expect(envelope.signatures).toEqual([{ keyid: key.keyId, sig: expect.any(String) }]);
    expect(key.keyId).toBe(keyIdOf(key.publicKeyPem));
    expect(independentlyVerifies(envelope, key.publicKeyPem)).toBe(true);
  });

  it('is deterministic: the same pack gives the same bytes and signature', () => {
    expect(signEnvelope(packStatement(packBodyFixture()), key)).toEqual(envelope);
  });
});

describe('verifyEnvelope', () => {
  it('accepts the envelope and returns the statement', () => {
    const result = verifyEnvelope(envelope, key.publicKeyPem);
    expect(result).toEqual({
      ok: true,
      keyId: key.keyId,
      statement: JSON.parse(canonicalJson(packStatement(body))),
    });
  });

  it('detects a flipped payload byte (and so does the independent check)', () => {
    const payload = Buffer.from(envelope.payload, 'base64');
    payload[100] = payload[100]! ^ 0x01;
    const tampered = withPayload(envelope, payload);
    expect(independentlyVerifies(tampered, key.publicKeyPem)).toBe(false);
    expect(verifyEnvelope(tampered, key.publicKeyPem)).toEqual({
      ok: false,
      problem: `the signature of key ${key.keyId} does not verify over the payload`,
    });
  });

  it('refuses another payloadType, even one the signature was made over', () => {
    const changed = { ...envelope, payloadType: 'application/json' };
    expect(independentlyVerifies(changed, key.publicKeyPem)).toBe(false);
    expect(verifyEnvelope(changed, key.publicKeyPem)).toMatchObject({
      ok: false,
      problem: 'payloadType is "application/json", not application/vnd.in-toto+json',
    });
    const resigned = signedOver(Buffer.from(envelope.payload, 'base64'), 'application/json');
    expect(verifyEnvelope(resigned, key.publicKeyPem).ok).toBe(false);
  });

  it('refuses a signature from another key, named under our keyid or its own', () => {
    const other = newSigningKey();
    const foreign = signEnvelope(packStatement(body), other);
    expect(independentlyVerifies(foreign, key.publicKeyPem)).toBe(false);
    expect(verifyEnvelope(foreign, key.publicKeyPem)).toEqual({
      ok: false,
      problem: `the envelope is signed by ${other.keyId}, not by key ${key.keyId}`,
    });
    const relabelled: DsseEnvelope = {
      ...foreign,
      signatures: [{ keyid: key.keyId, sig: foreign.signatures[0]!.sig }],
    };
    expect(verifyEnvelope(relabelled, key.publicKeyPem)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('does not verify'),
    });
  });

  it('accepts the envelope when one of several signatures is ours', () => {
    const other = newSigningKey();
    const both: DsseEnvelope = {
      ...envelope,
      signatures: [...signEnvelope(packStatement(body), other).signatures, ...envelope.signatures],
    };
    expect(verifyEnvelope(both, key.publicKeyPem).ok).toBe(true);
    expect(verifyEnvelope(both, other.publicKeyPem).ok).toBe(true);
  });

  it('says so when there is no signature at all', () => {
    expect(verifyEnvelope({ ...envelope, signatures: [] }, key.publicKeyPem)).toEqual({
      ok: false,
      problem: `the envelope is signed by no key at all, not by key ${key.keyId}`,
    });
  });

  it('refuses a key that is not a readable Ed25519 public key', () => {
    expect(verifyEnvelope(envelope, 'not a pem')).toEqual({
      ok: false,
      problem: 'the public key cannot be read as a PEM public key',
    });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(verifyEnvelope(envelope, ecPem)).toEqual({
      ok: false,
      problem: 'the public key is ec, not Ed25519',
    });
  });

  it.each([
    ['not JSON', Buffer.from('{"_type":'), 'the signed payload is not JSON'],
    ['an array', Buffer.from('[1,2]'), 'the signed payload is not a JSON object'],
    ['null', Buffer.from('null'), 'the signed payload is not a JSON object'],
    [
      'another statement type',
      Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}'),
      'the signed payload is not an in-toto Statement v1 (_type "https://in-toto.io/Statement/v0.1")',
    ],
    [
      'without subjects',
      Buffer.from(`{"_type":"${IN_TOTO_STATEMENT_TYPE}","subject":"x"}`),
      'the statement has no subject list',
    ],
    [
      'with a non-object subject',
      Buffer.from(`{"_type":"${IN_TOTO_STATEMENT_TYPE}","subject":[1]}`),
      'the statement has no subject list',
    ],
    [
      'without predicateType',
      Buffer.from(`{"_type":"${IN_TOTO_STATEMENT_TYPE}","subject":[]}`),
      'the statement has no predicateType',
    ],
    [
      'without predicate',
      Buffer.from(
        `{"_type":"${IN_TOTO_STATEMENT_TYPE}","subject":[],"predicateType":"${PACK_PREDICATE_TYPE}"}`,
      ),
      'the statement has no predicate',
    ],
  ])('refuses a signed payload that is %s', (_name, payload, problem) => {
    expect(verifyEnvelope(signedOver(payload), key.publicKeyPem)).toEqual({ ok: false, problem });
  });
});
