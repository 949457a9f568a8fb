import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { optimizeSchema } from './schema-rewrite.js';
import { schemaValidator } from './schema-validator.js';

export const CYCLONEDX_VERSIONS = ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7'] as const;
export type CycloneDxVersion = (typeof CYCLONEDX_VERSIONS)[number];

export function isCycloneDxVersion(value: unknown): value is CycloneDxVersion {
  return (CYCLONEDX_VERSIONS as readonly unknown[]).includes(value);
}

// The official schemas ship with @cyclonedx/cyclonedx-library (its package exports do not
// expose res/, so locate it from package.json). They are read here, at module load, so that
// parsing itself never touches the file system; compiling waits for the first document of
// each version because compiling all six costs ~0.6 s.
const schemaDir = join(
  dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res',
  'schema',
);

function readSchema(file: string): Record<string, unknown> {
  const schema = JSON.parse(readFileSync(join(schemaDir, file), 'utf8')) as Record<string, unknown>;
  optimizeSchema(schema);
  return schema;
}

// The bom schemas reference these by file name relative to http://cyclonedx.org/schema/.
const referencedSchemas = [
  'spdx.SNAPSHOT.schema.json',
  'jsf-0.82.SNAPSHOT.schema.json',
  'cryptography-defs.SNAPSHOT.schema.json',
].map((file) => ({ key: `http://cyclonedx.org/schema/${file}`, schema: readSchema(file) }));

const bomSchemas = new Map<CycloneDxVersion, Record<string, unknown>>(
  CYCLONEDX_VERSIONS.map((version) => [version, readSchema(`bom-${version}.SNAPSHOT.schema.json`)]),
);

let referencesAdded = false;
const compiled = new Map<CycloneDxVersion, ValidateFunction>();

/** The validator for one specVersion, compiled on first use and kept. */
export function cycloneDxValidator(version: CycloneDxVersion): ValidateFunction {
  let validate = compiled.get(version);
  if (validate === undefined) {
    const ajv = schemaValidator();
    if (!referencesAdded) {
      for (const { key, schema } of referencedSchemas) ajv.addSchema(schema, key);
      referencesAdded = true;
    }
    validate = ajv.compile(bomSchemas.get(version) as Record<string, unknown>);
    compiled.set(version, validate);
  }
  return validate;
}

/** The arrays of a BOM whose items the streaming parser validates one at a time. */
export type StreamedArray = 'components' | 'dependencies';

const itemValidators = new Map<string, ValidateFunction>();

/**
 * The validator of one item of `components` or `dependencies`: exactly the subschema the
 * array's `items` names (a `$ref` to `#/definitions/component` / `dependency` in every
 * version 1.2–1.7), resolved against the bom schema in the same Ajv.
 */
export function cycloneDxItemValidator(
  version: CycloneDxVersion,
  array: StreamedArray,
): ValidateFunction {
  const key = `${version} ${array}`;
  let validate = itemValidators.get(key);
  if (validate === undefined) {
    const bom = cycloneDxValidator(version).schema as BomSchemaShape;
    validate = schemaValidator().compile({ $ref: `${bom.$id}${bom.properties[array].items.$ref}` });
    itemValidators.set(key, validate);
  }
  return validate;
}

interface BomSchemaShape {
  $id: string;
  properties: Record<StreamedArray, { items: { $ref: string } }>;
}
