import { quote } from '../../../platform/text/quote.js';
import { parseJsonDocument } from '../json-document.js';
import { isJsonObject, type JsonObject } from './json-values.js';
import { refuse, reject } from './sbom-errors.js';
import type { Warnings } from './warnings.js';

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENT = /^https:\/\/in-toto\.io\/Statement\/v/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const SBOM_PREDICATE = /cyclonedx|spdx/i;
const COSIGN_VULN_PREDICATE = 'https://cosign.sigstore.dev/attestation/vuln/v1';

export interface Unwrapped {
  document: JsonObject;
  /** JSON pointer prefix locating the SBOM inside what was uploaded. */
  prefix: string;
}

/**
 * An SBOM attestation (a DSSE envelope whose in-toto Statement carries the SBOM as its
 * predicate, as `cosign attest --type cyclonedx|spdxjson` and Trivy write it, or the bare
 * Statement) is reduced to the SBOM. Its signature is not checked here: signatures are
 * evidence of their own.
 */
export function unwrapAttestation(document: JsonObject, warnings: Warnings): Unwrapped {
  if (typeof document.payloadType === 'string' || typeof document.payload === 'string') {
    const statement = decodeEnvelope(document);
    warnings.add(
      'The SBOM came in a DSSE envelope whose signature was not verified at intake; attach it as signature evidence to have it verified.',
    );
    return { document: predicateOf(statement, '/payload', warnings), prefix: '/payload/predicate' };
  }
  if (typeof document._type === 'string' && IN_TOTO_STATEMENT.test(document._type)) {
    warnings.add('The SBOM came as an unsigned in-toto statement; its predicate was read.');
    return { document: predicateOf(document, '', warnings), prefix: '/predicate' };
  }
  return { document, prefix: '' };
}

function decodeEnvelope(envelope: JsonObject): JsonObject {
  const what = 'The DSSE envelope';
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    reject(
      what,
      [{ path: '/payloadType', message: `must be ${JSON.stringify(IN_TOTO_PAYLOAD_TYPE)}` }],
      'invalid_structure',
    );
  }
  const { payload } = envelope;
  if (typeof payload !== 'string' || !BASE64.test(payload)) {
    reject(what, [{ path: '/payload', message: 'must be a base64 string' }], 'invalid_structure');
  }
  let statement: unknown;
  try {
    statement = parseJsonDocument(Buffer.from(payload, 'base64'), 'DSSE payload');
  } catch (error) {
    reject(what, [{ path: '/payload', message: (error as Error).message }], 'invalid_structure');
  }
  if (!isJsonObject(statement)) {
    reject(
      what,
      [{ path: '/payload', message: 'must decode to an in-toto statement (a JSON object)' }],
      'invalid_structure',
    );
  }
  return statement;
}

function predicateOf(statement: JsonObject, at: string, warnings: Warnings): JsonObject {
  const { predicate, predicateType } = statement;
  if (!isJsonObject(predicate)) {
    reject(
      'The in-toto statement',
      [{ path: `${at}/predicate`, message: 'must be an object holding the SBOM' }],
      'invalid_structure',
    );
  }
  if (predicateType === COSIGN_VULN_PREDICATE) {
    refuse(
      'This is a cosign vulnerability attestation, not an SBOM: upload it with kind=vuln_scan.',
      { path: `${at}/predicateType`, message: 'a vulnerability attestation' },
      'wrong_kind',
    );
  }
  if (typeof predicateType === 'string' && !SBOM_PREDICATE.test(predicateType)) {
    warnings.add(
      `The in-toto predicateType ${quote(predicateType)} is not an SBOM type; its predicate was read as one.`,
    );
  }
  return predicate;
}
