/**
 * The evidence pack's signature: an in-toto Statement v1 (subject = the artifact, predicate =
 * the pack body) in a DSSE v1 envelope signed with the server's Ed25519 key. Pure: data in,
 * data out. Anyone can check it with standard tools (docs/architecture/pack-verification.md).
 */
import { createPublicKey } from 'node:crypto';
import {
  canonicalJson,
  canonicalMembers,
  joinCanonicalMembers,
} from '../platform/crypto/canonical-json.js';
import { keyIdOf, type SigningKey, verifyEd25519 } from '../platform/crypto/signing-key.js';
import { quote } from '../platform/text/quote.js';
import { PACK_PREDICATE_TYPE, type PackBody } from './pack-body.js';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface StatementSubject {
  name: string;
  digest: { sha256: string };
}

export interface PackStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: StatementSubject[];
  predicateType: typeof PACK_PREDICATE_TYPE;
  predicate: PackBody;
}

/** A statement as read back from an envelope: only its shape is known, not its content. */
export interface ParsedStatement {
  _type: string;
  subject: Record<string, unknown>[];
  predicateType: string;
  predicate: unknown;
}

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** Standard base64 of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

export type EnvelopeVerification =
  | { ok: true; statement: ParsedStatement; keyId: string }
  | { ok: false; problem: string; statement?: undefined };

export function packStatement(body: PackBody): PackStatement {
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: body.artifact_filename, digest: { sha256: body.artifact_sha256 } }],
    predicateType: PACK_PREDICATE_TYPE,
    predicate: body,
  };
}

/**
 * DSSE v1 Pre-Authentication Encoding: `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`,
 * lengths in ASCII decimal of byte counts. Signing PAE rather than the payload binds the type,
 * so a payload cannot be replayed under another interpretation.
 */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

/** Signs the statement: the payload is its RFC 8785 text, so the same pack gives the same bytes. */
export function signEnvelope(statement: PackStatement, key: SigningKey): DsseEnvelope {
  return signPayload(canonicalJson(statement), key);
}

/**
 * canonicalJson(packStatement(body)) for a body whose canonical text is already known: the
 * statement's other members are canonicalized, the body's text is used as it is.
 */
export function packStatementText(body: PackBody, bodyText: string): string {
  const { predicate: _predicate, ...rest } = packStatement(body);
  const members = canonicalMembers(rest);
  members.set('predicate', bodyText);
  return joinCanonicalMembers(members);
}

/** Signs a statement given as its canonical text. */
export function signPayload(payloadText: string, key: SigningKey): DsseEnvelope {
  const payload = Buffer.from(payloadText, 'utf8');
  return {
    payloadType: DSSE_PAYLOAD_TYPE,
    payload: payload.toString('base64'),
    signatures: [{ keyid: key.keyId, sig: key.sign(pae(DSSE_PAYLOAD_TYPE, payload)) }],
  };
}

/**
 * Checks the envelope against one public key: the payload type, a signature whose keyid is
 * that key's id and which verifies over PAE, and that the payload is an in-toto Statement.
 * Whether the statement says the right things is the caller's business (it knows the pack).
 */
export function verifyEnvelope(envelope: DsseEnvelope, publicKeyPem: string): EnvelopeVerification {
  if (envelope.payloadType !== DSSE_PAYLOAD_TYPE) {
    return fail(`payloadType is ${quote(envelope.payloadType)}, not ${DSSE_PAYLOAD_TYPE}`);
  }
  let keyId: string;
  try {
    const key = createPublicKey(publicKeyPem);
    if (key.asymmetricKeyType !== 'ed25519') {
      return fail(`the public key is ${key.asymmetricKeyType}, not Ed25519`);
    }
    keyId = keyIdOf(key);
  } catch {
    return fail('the public key cannot be read as a PEM public key');
  }
  const mine = envelope.signatures.filter((s) => s.keyid === keyId);
  if (mine.length === 0) {
    const ids = envelope.signatures.map((s) => s.keyid).join(', ') || 'no key at all';
    return fail(`the envelope is signed by ${ids}, not by key ${keyId}`);
  }
  const payload = Buffer.from(envelope.payload, 'base64');
  const message = pae(envelope.payloadType, payload);
  if (!mine.some((s) => verifyEd25519(publicKeyPem, message, s.sig))) {
    return fail(`the signature of key ${keyId} does not verify over the payload`);
  }
  const statement = parseStatement(payload);
  if (typeof statement === 'string') return fail(statement);
  return { ok: true, statement, keyId };
}

function parseStatement(payload: Buffer): ParsedStatement | string {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return 'the signed payload is not JSON';
  }
  if (!isRecord(value)) return 'the signed payload is not a JSON object';
  const { _type, subject, predicateType, predicate } = value;
  if (_type !== IN_TOTO_STATEMENT_TYPE) {
    return `the signed payload is not an in-toto Statement v1 (_type ${quote(_type)})`;
  }
  if (!Array.isArray(subject) || !subject.every(isRecord)) {
    return 'the statement has no subject list';
  }
  if (typeof predicateType !== 'string') return 'the statement has no predicateType';
  if (predicate === undefined) return 'the statement has no predicate';
  return { _type, subject, predicateType, predicate };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(problem: string): EnvelopeVerification {
  return { ok: false, problem };
}
