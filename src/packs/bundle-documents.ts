/**
 * Documents: every DocumentRef in the signed body must be carried, byte for byte. The refs are
 * signed; the bundle's own labels (`sha256`, `size_bytes`, `kind`, `format`) are not, so the
 * bytes are always re-hashed and compared with the ref, never with the label alone.
 */
import { sha256Hex } from '../platform/crypto/canonical-json.js';
import type { ParsedBody, ParsedDocument, ParsedDocumentRef } from './bundle-schema.js';
import type { CheckList, DocumentProgress } from './bundle-types.js';

export interface LocatedRef {
  /** Where in the body the ref sits, e.g. `vuln_scan_results.vex_documents[1]`. */
  at: string;
  ref: ParsedDocumentRef;
}

/** Every DocumentRef in the body, in body order (all six places a pack can name one). */
export function documentRefsOf(body: ParsedBody): LocatedRef[] {
  const refs: LocatedRef[] = [];
  const add = (at: string, ref: ParsedDocumentRef | undefined) => {
    if (ref) refs.push({ at, ref });
  };
  add('sbom_data.document', body.sbom_data?.document);
  add('vuln_scan_results.document', body.vuln_scan_results?.document);
  body.vuln_scan_results?.vex_documents.forEach((ref, i) => {
    add(`vuln_scan_results.vex_documents[${i}]`, ref);
  });
  add('artifact_signature.document', body.artifact_signature?.document);
  add('test_evidence.lab.document', body.test_evidence.lab?.document);
  add('test_evidence.ring0.document', body.test_evidence.ring0?.document);
  return refs;
}

export function checkDocuments(
  body: ParsedBody,
  documents: readonly ParsedDocument[],
  checks: CheckList,
  onProgress?: (progress: DocumentProgress) => void,
): void {
  const part = (sha256: string) => `documents[${sha256}]`;
  const carried = new Map<string, ParsedDocument>();
  for (const document of documents) {
    if (carried.has(document.sha256)) {
      checks.fail(part(document.sha256), 'the bundle carries this document twice');
    } else {
      carried.set(document.sha256, document);
    }
  }
  const wanted = new Map<string, LocatedRef[]>();
  for (const located of documentRefsOf(body)) {
    const list = wanted.get(located.ref.sha256);
    if (list) list.push(located);
    else wanted.set(located.ref.sha256, [located]);
  }
  if (wanted.size === 0 && carried.size === 0) {
    checks.pass('documents', 'the pack references no documents');
    return;
  }
  const total = [...wanted.keys()].filter((sha256) => carried.has(sha256)).length;
  let done = 0;
  let bytesHashed = 0;
  for (const [sha256, refs] of wanted) {
    const first = refs[0]!;
    const what = `${first.ref.kind}/${first.ref.format} at ${refs.map((r) => r.at).join(', ')}`;
    const document = carried.get(sha256);
    if (!document) {
      checks.fail(part(sha256), `${what}: the pack references it but the bundle does not carry it`);
      continue;
    }
    const bytes = Buffer.from(document.content_base64, 'base64');
    const actual = sha256Hex(bytes);
    done += 1;
    bytesHashed += bytes.length;
    onProgress?.({ done, total, bytes: bytesHashed });
    const problems: string[] = [];
    if (actual !== sha256) {
      problems.push(`its bytes hash to ${actual}: the document was altered`);
    }
    for (const { at, ref } of refs) {
      if (ref.size_bytes !== bytes.length) {
        problems.push(`it is ${bytes.length} bytes long but ${at} says ${ref.size_bytes}`);
      }
      if (ref.kind !== document.kind || ref.format !== document.format) {
        problems.push(
          `the bundle labels it ${document.kind}/${document.format} but ${at} is ${ref.kind}/${ref.format}`,
        );
      }
    }
    if (document.size_bytes !== bytes.length) {
      problems.push(
        `the bundle labels it ${document.size_bytes} bytes, its content is ${bytes.length}`,
      );
    }
    if (problems.length > 0) checks.fail(part(sha256), `${what}: ${problems.join('; ')}`);
    else checks.pass(part(sha256), `${what}: ${bytes.length} bytes, sha256 matches`);
  }
  for (const sha256 of carried.keys()) {
    if (!wanted.has(sha256)) {
      checks.fail(
        part(sha256),
        'the bundle carries a document the pack does not reference: the signature does not cover it',
      );
    }
  }
}
