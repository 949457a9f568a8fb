import type { ValidateFunction } from 'ajv';
import { schemaValidator } from './schema-validator.js';

const text = { type: 'string' } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
const elementId = { type: 'string', pattern: '^SPDXRef-.+$' } as const;

/**
 * The part of the SPDX 2.2/2.3 JSON schema this service relies on: identity of the document,
 * its packages and the relationships between them. Everything else an SPDX tool may add is
 * accepted unchecked; meaning-preserving deviations are reported as warnings by spdx.ts.
 */
export const SPDX_CORE_SCHEMA = {
  $id: 'urn:cabinet:schema:spdx-2-core',
  type: 'object',
  required: ['spdxVersion', 'SPDXID', 'name', 'dataLicense', 'documentNamespace'],
  properties: {
    spdxVersion: { enum: ['SPDX-2.2', 'SPDX-2.3'] },
    SPDXID: elementId,
    name: text,
    dataLicense: text,
    documentNamespace: nonEmpty,
    documentDescribes: { type: 'array', items: text },
    packages: {
      type: 'array',
      items: {
        type: 'object',
        required: ['SPDXID', 'name'],
        properties: {
          SPDXID: elementId,
          name: text,
          versionInfo: text,
          licenseConcluded: text,
          licenseDeclared: text,
          primaryPackagePurpose: text,
          checksums: {
            type: 'array',
            items: {
              type: 'object',
              required: ['algorithm', 'checksumValue'],
              properties: { algorithm: text, checksumValue: text },
            },
          },
          externalRefs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['referenceCategory', 'referenceType', 'referenceLocator'],
              properties: { referenceCategory: text, referenceType: text, referenceLocator: text },
            },
          },
        },
      },
    },
    files: {
      type: 'array',
      items: { type: 'object', required: ['SPDXID'], properties: { SPDXID: elementId } },
    },
    snippets: {
      type: 'array',
      items: { type: 'object', required: ['SPDXID'], properties: { SPDXID: elementId } },
    },
    relationships: {
      type: 'array',
      items: {
        type: 'object',
        required: ['spdxElementId', 'relatedSpdxElement', 'relationshipType'],
        properties: {
          spdxElementId: nonEmpty,
          relatedSpdxElement: nonEmpty,
          relationshipType: nonEmpty,
        },
      },
    },
  },
};

let compiled: ValidateFunction | undefined;

export function spdxValidator(): ValidateFunction {
  compiled ??= schemaValidator().compile(SPDX_CORE_SCHEMA);
  return compiled;
}
