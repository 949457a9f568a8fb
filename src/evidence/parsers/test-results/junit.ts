import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { flatText, quote } from '../../../platform/text/quote.js';
import { fail, isRecord, type JsonRecord } from '../scan/doc-reader.js';
import { resolveStage } from './stage.js';
import type { CaseStatus, ParsedTestResults, TestCase } from './types.js';
import { decodeXmlText, lineAt } from './xml-text.js';

/** Long stack traces would bloat every stored summary; the full text stays in the blob. */
const MESSAGE_LIMIT = 1000;

const ARRAY_ELEMENTS = new Set(['testsuite', 'testcase', 'failure', 'error', 'skipped']);

/** Deeper than any real report nests suites; the parser refuses beyond it (its own guard). */
const MAX_XML_DEPTH = 100;

/** Element names the parser refuses, because they would write to an object's prototype. */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Entity processing is off: with no DOCTYPE accepted and no entity expansion, a "billion
 * laughs" document cannot grow in memory; the five predefined entities and numeric references
 * are decoded afterwards by decodeXmlText, in a single non-recursive pass.
 */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  isArray: (name) => ARRAY_ELEMENTS.has(name),
  maxNestedTags: MAX_XML_DEPTH,
});

/** JUnit XML: `<testsuites>` or a single `<testsuite>`; counts come from `<testcase>` elements. */
export function readJunit(bytes: Uint8Array, optionStage: unknown): ParsedTestResults {
  const raw = Buffer.from(bytes).toString('utf8');
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  if (text.trim() === '') fail('The JUnit XML document is empty.', '', 'empty body', 'invalid_xml');
  // A DOCTYPE is only legal in the prolog, before the root element; looking only there keeps a
  // failure message that quotes HTML (`<![CDATA[<!DOCTYPE html>…]]>`) from being refused.
  const firstElement = /<[A-Za-z_]/.exec(text);
  const prolog = firstElement === null ? text : text.slice(0, firstElement.index);
  const doctype = /<!DOCTYPE/i.exec(prolog);
  if (doctype !== null) {
    const line = lineAt(text, doctype.index);
    fail(
      `JUnit XML must not contain a DOCTYPE (line ${line}): DTDs and entity declarations are refused.`,
      `line ${line}`,
      'DOCTYPE not allowed',
      'doctype_not_allowed',
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { line } = valid.err;
    // The validator's message quotes the offending tag or attribute name, unbounded.
    const msg = flatText(valid.err.msg, 160);
    fail(`The JUnit XML is malformed (line ${line}): ${msg}`, `line ${line}`, msg, 'invalid_xml');
  }
  const stage = resolveStage(null, optionStage, '');
  const doc = parseRefusing(text);
  const root = isRecord(doc) ? doc : {};
  const rootSuites = isRecord(root.testsuites) ? root.testsuites : null;
  const topLevel: JsonRecord[] =
    rootSuites !== null ? suitesIn(rootSuites) : records(root.testsuite);
  if (rootSuites === null && topLevel.length === 0) {
    const line = firstElement === null ? 1 : lineAt(text, firstElement.index);
    fail(
      'The root element must be <testsuites> or <testsuite>.',
      `line ${line}`,
      'not a JUnit report',
      'invalid_structure',
    );
  }

  const cases: TestCase[] = [];
  let caseSeconds: number | null = null;
  // Depth-first in document order, iterative so deeply nested suites cannot overflow the stack.
  const stack = [...topLevel].reverse();
  while (stack.length > 0) {
    const suite = stack.pop()!;
    for (const testcase of records(suite.testcase)) {
      cases.push(readCase(testcase));
      const time = seconds(testcase['@_time']);
      if (time !== null) caseSeconds = (caseSeconds ?? 0) + time;
    }
    stack.push(...suitesIn(suite).reverse());
  }
  const ordered = cases;

  const failed = ordered.filter((c) => c.status === 'failed' || c.status === 'error').length;
  const skipped = ordered.filter((c) => c.status === 'skipped').length;
  const warnings: string[] = [];
  if (ordered.length === 0) warnings.push('The JUnit report contains no test cases.');
  const declared = declaredTests(rootSuites, topLevel);
  if (declared !== null && declared !== ordered.length) {
    warnings.push(
      `The report declares tests="${declared}" but contains ${ordered.length} <testcase> elements; the elements were counted.`,
    );
  }
  return {
    format: 'junit',
    spec_version: null,
    summary: {
      stage,
      total: ordered.length,
      passed: ordered.length - failed - skipped,
      failed,
      skipped,
      coverage_percent: null,
      devices: null,
      duration_seconds: duration(rootSuites, topLevel) ?? caseSeconds,
      cases: ordered,
    },
    warnings,
  };
}

/**
 * The parser refuses what it cannot represent safely (nesting past its limit, an element
 * named `__proto__`); those refusals are the document's fault, so they answer a located
 * invalid_xml rather than escaping as a server error.
 */
function parseRefusing(text: string): unknown {
  try {
    return parser.parse(text);
  } catch (error) {
    const hazard = locateHazard(text);
    const at = hazard?.line ?? 1;
    const what = hazard?.what ?? `the XML parser refused it (${flatText(String(error), 120)})`;
    return fail(
      `The JUnit XML is refused (line ${at}): ${what}.`,
      `line ${at}`,
      what,
      'invalid_xml',
    );
  }
}

/** Comments, CDATA, processing instructions and declarations, or one tag (quoted attributes). */
const XML_TOKEN =
  /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<[?!][\s\S]*?>|<(\/?)([^\s/>]+)(?:"[^"]*"|'[^']*'|[^'">])*?(\/?)>/g;

/**
 * Where a well-formed document has what the parser refuses: the first element nested past
 * MAX_XML_DEPTH or named like a prototype key. One linear pass, no recursion.
 */
function locateHazard(text: string): { line: number; what: string } | null {
  let depth = 0;
  for (const match of text.matchAll(XML_TOKEN)) {
    const [, closing, name, selfClosing] = match;
    if (name === undefined) continue;
    if (closing === '/') {
      depth -= 1;
      continue;
    }
    if (RESERVED_NAMES.has(name)) {
      return {
        line: lineAt(text, match.index),
        what: `the element name ${quote(name)} is not allowed`,
      };
    }
    if (selfClosing !== '/') depth += 1;
    if (depth > MAX_XML_DEPTH) {
      return {
        line: lineAt(text, match.index),
        what: `elements are nested more than ${MAX_XML_DEPTH} levels deep`,
      };
    }
  }
  return null;
}

function readCase(testcase: JsonRecord): TestCase {
  const name = decodeXmlText(attribute(testcase, 'name') ?? '(unnamed)');
  const classname = attribute(testcase, 'classname');
  const outcome: [CaseStatus, unknown[]] | null =
    asArray(testcase.failure).length > 0
      ? ['failed', asArray(testcase.failure)]
      : asArray(testcase.error).length > 0
        ? ['error', asArray(testcase.error)]
        : asArray(testcase.skipped).length > 0
          ? ['skipped', asArray(testcase.skipped)]
          : null;
  return {
    name: classname === null ? name : `${decodeXmlText(classname)}.${name}`,
    status: outcome === null ? 'passed' : outcome[0],
    message: outcome === null ? null : elementMessage(outcome[1][0]),
  };
}

/** `message` attribute, else the element's text; trimmed, decoded, capped. */
function elementMessage(element: unknown): string | null {
  const text = isRecord(element)
    ? (attribute(element, 'message') ??
      (typeof element['#text'] === 'string' ? element['#text'] : null))
    : typeof element === 'string'
      ? element
      : null;
  if (text === null || text.trim() === '') return null;
  const decoded = decodeXmlText(text.trim());
  return decoded.length > MESSAGE_LIMIT ? `${decoded.slice(0, MESSAGE_LIMIT)}…` : decoded;
}

/** Total time: `<testsuites time>`, else the sum over top-level suites, else null. */
function duration(rootSuites: JsonRecord | null, topLevel: JsonRecord[]): number | null {
  const rootTime = rootSuites === null ? null : seconds(rootSuites['@_time']);
  if (rootTime !== null) return rootTime;
  let sum: number | null = null;
  for (const suite of topLevel) {
    const time = seconds(suite['@_time']);
    if (time !== null) sum = (sum ?? 0) + time;
  }
  return sum;
}

function declaredTests(rootSuites: JsonRecord | null, topLevel: JsonRecord[]): number | null {
  const rootTests = rootSuites === null ? null : integer(rootSuites['@_tests']);
  if (rootTests !== null) return rootTests;
  let sum: number | null = null;
  for (const suite of topLevel) {
    const tests = integer(suite['@_tests']);
    if (tests !== null) sum = (sum ?? 0) + tests;
  }
  return sum;
}

/** JUnit `time` is seconds; some emitters (Surefire in some locales) write `1,234.5`. */
function seconds(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const number = Number(value.replaceAll(',', '').trim());
  return value.trim() !== '' && Number.isFinite(number) && number >= 0 ? number : null;
}

function integer(value: unknown): number | null {
  const number = seconds(value);
  return number !== null && Number.isInteger(number) ? number : null;
}

function attribute(element: JsonRecord, name: string): string | null {
  const value = element[`@_${name}`];
  return typeof value === 'string' ? value : null;
}

function suitesIn(element: JsonRecord): JsonRecord[] {
  return records(element.testsuite);
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Elements as records; an empty or text-only element (`<testsuite/>`) becomes `{}`. */
function records(value: unknown): JsonRecord[] {
  return asArray(value).map((v) => (isRecord(v) ? v : {}));
}
