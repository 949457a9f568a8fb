import { createRequire } from 'node:module';
import { _, Ajv, type CodeKeywordDefinition, type Options } from 'ajv';
import formatsPlugin from 'ajv-formats';
import { HASH_CONTENT, isHashContent, LINEAR_UNIQUE_ITEMS, STRING_ENUM } from './schema-rewrite.js';
import { findDuplicate } from './unique-items.js';

const requireCjs = createRequire(import.meta.url);
// Untyped CommonJS plugin: (ajv, { formats }) => ajv.
const draft2019Formats = requireCjs('ajv-formats-draft2019') as (
  ajv: Ajv,
  options: { formats: string[] },
) => Ajv;

/*
 * Both keywords generate inline code: a function keyword would make Ajv build a data-context
 * object and an instance-path string on every call, i.e. for every array and every licence id
 * of a 10k-component document.
 */

/** `uniqueItems`, checked in linear time (see unique-items.ts); params.duplicate = [i, j]. */
const linearUniqueItems: CodeKeywordDefinition = {
  keyword: LINEAR_UNIQUE_ITEMS,
  type: 'array',
  schemaType: 'boolean',
  code(cxt) {
    const find = cxt.gen.scopeValue('func', { ref: findDuplicate });
    const duplicate = cxt.gen.const('duplicate', _`${find}(${cxt.data})`);
    cxt.setParams({ duplicate });
    cxt.fail(_`${duplicate} !== null`);
  },
  error: {
    message: 'must not have duplicate items',
    params: ({ params }) => _`{duplicate: ${params.duplicate}}`,
  },
};

/** A long all-string `enum` as a Set lookup; errors read like `enum` errors. */
const stringEnum: CodeKeywordDefinition = {
  keyword: STRING_ENUM,
  schemaType: 'array',
  code(cxt) {
    const allowed = cxt.gen.scopeValue('obj', { ref: new Set(cxt.schema as string[]) });
    cxt.fail(_`!${allowed}.has(${cxt.data})`);
  },
  error: {
    message: 'must be equal to one of the allowed values',
    params: ({ schemaCode }) => _`{allowedValues: ${schemaCode}}`,
  },
};

/**
 * Ajv's engine for `pattern`: a RegExp, except the CycloneDX hash content, which a loop
 * checks ten times as fast. The schema still says `pattern`, so errors read the same.
 */
type RegExpEngine = NonNullable<NonNullable<Options['code']>['regExp']>;

const regExp: RegExpEngine = Object.assign(
  (pattern: string, flags: string) =>
    pattern === HASH_CONTENT
      ? { test: isHashContent, toString: () => `/${HASH_CONTENT}/${flags}` }
      : new RegExp(pattern, flags),
  { code: 'sbomRegExp' },
);

let shared: Ajv | undefined;

/**
 * The one Ajv for every SBOM schema, created on first use: draft-07 (what every CycloneDX
 * schema 1.2–1.7 declares), formats on, first error only (a 10k-component document with
 * one systematic mistake would otherwise produce 10k errors).
 */
export function schemaValidator(): Ajv {
  shared ??= createSchemaValidator();
  return shared;
}

function createSchemaValidator(): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: false,
    verbose: true,
    validateSchema: false,
    validateFormats: true,
    code: { regExp },
  });
  formatsPlugin.default(ajv);
  // ajv-formats-draft2019 adds the internationalised formats; its iri/iri-reference reject
  // every URN (uri-js drops a URN's path), which the CycloneDX spec's own valid
  // saasbom example uses, so those two are defined below instead.
  draft2019Formats(ajv, { formats: ['idn-email', 'idn-hostname'] });
  // ajv-formats' full mode defines uri-reference as an RFC 3986 regular expression.
  const uriReference = ajv.formats['uri-reference'] as RegExp;
  const iriReference = (value: string) =>
    PLAIN_HTTP_URL.test(value) || uriReference.test(iriToUri(value));
  ajv.addFormat('iri-reference', iriReference);
  ajv.addFormat(
    'iri',
    (value: string) => /^[a-z][a-z0-9+.-]*:/i.test(value) && iriReference(value),
  );
  ajv.addKeyword(linearUniqueItems);
  ajv.addKeyword(stringEnum);
  return ajv;
}

/**
 * Most IRIs in SBOMs are plain http(s) URLs; every string this matches (reg-name host,
 * optional port, path of unreserved / sub-delim / ":" / "@" characters, no "%", "?" or "#")
 * is a valid URI-reference, so the full RFC 3986 expression only runs for the rest.
 */
const PLAIN_HTTP_URL = /^https?:\/\/[a-z0-9.-]+(?::[0-9]+)?(?:\/[a-z0-9\-._~!$&'()*+,;=:@/]*)?$/i;

/**
 * RFC 3987 §3.1: an IRI maps to a URI by percent-encoding its non-ASCII characters, so an
 * IRI-reference is valid exactly when that mapping is a valid URI-reference.
 */
function iriToUri(value: string): string {
  try {
    return value.replace(/[\u0080-\uffff]+/g, (run) => encodeURIComponent(run));
  } catch {
    // A lone surrogate cannot be encoded: not a valid IRI.
    return ' ';
  }
}
