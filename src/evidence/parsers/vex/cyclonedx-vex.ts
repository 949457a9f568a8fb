import { quote } from '../../../platform/text/quote.js';
import { CYCLONEDX_VERSIONS, isCycloneDxVersion } from '../sbom/cyclonedx-schema.js';
import { indexComponents, resolveRef } from '../scan/cyclonedx-components.js';
import {
  arrayAt,
  isRecord,
  type JsonRecord,
  nonEmptyString,
  Problems,
} from '../scan/doc-reader.js';
import type { VexReadResult, VexStatus } from './types.js';

/**
 * CycloneDX `analysis.state` → VEX status. `resolved*` means the vendor fixed it (fixed);
 * `false_positive` means the finding never applied (not_affected); `exploitable` is affected;
 * `in_triage` is under investigation.
 */
const STATE_TO_STATUS: Record<string, VexStatus> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

/** One statement per `vulnerabilities[]` entry that carries an `analysis.state`. */
export function readCycloneDxVex(doc: JsonRecord): VexReadResult & { unanalysed: number } {
  const problems = new Problems();
  // The version is stored and shown: only a CycloneDX version, never whatever text was sent.
  if (doc.specVersion !== undefined && !isCycloneDxVersion(doc.specVersion)) {
    problems.add(
      ['specVersion'],
      `must be one of ${CYCLONEDX_VERSIONS.join(', ')}, got ${quote(doc.specVersion)}`,
    );
  }
  const index = indexComponents(doc);
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const subjectRef = isRecord(metadata.component)
    ? nonEmptyString(metadata.component['bom-ref'])
    : null;
  const statements: VexReadResult['statements'] = [];
  const unresolved = new Set<string>();
  let unanalysed = 0;
  arrayAt(doc, 'vulnerabilities', [], problems).forEach((vuln, v) => {
    const path = ['vulnerabilities', v];
    if (!isRecord(vuln)) {
      problems.add(path, 'must be an object');
      return;
    }
    const id = nonEmptyString(vuln.id);
    if (id === null) problems.add([...path, 'id'], 'must be a non-empty string');
    if (!isRecord(vuln.analysis)) {
      unanalysed += 1;
      return;
    }
    const state = vuln.analysis.state;
    const status = typeof state === 'string' ? STATE_TO_STATUS[state] : undefined;
    if (status === undefined) {
      problems.add(
        [...path, 'analysis', 'state'],
        `must be one of ${Object.keys(STATE_TO_STATUS).join(', ')}, got ${quote(state ?? null)}`,
      );
    }
    const products: string[] = [];
    const affects = arrayAt(vuln, 'affects', path, problems);
    // No `affects`: the statement is about the BOM's own subject.
    const refs: (string | null)[] =
      affects.length > 0
        ? affects.map((a) => (isRecord(a) ? nonEmptyString(a.ref) : null))
        : subjectRef !== null
          ? [subjectRef]
          : [];
    refs.forEach((ref, a) => {
      if (ref === null) {
        problems.add([...path, 'affects', a, 'ref'], 'must be a non-empty string');
        return;
      }
      const product = productFor(ref, index, doc.serialNumber);
      if (product === ref && !ref.startsWith('pkg:') && !ref.startsWith('urn:cdx:')) {
        unresolved.add(ref);
      }
      if (!products.includes(product)) products.push(product);
    });
    if (id === null || status === undefined) return;
    statements.push({
      vulnerability_id: id,
      products,
      status,
      justification: nonEmptyString(vuln.analysis.justification),
    });
  });
  problems.throwIfAny('The CycloneDX VEX is structurally invalid.');
  const warnings: string[] = [];
  if (unanalysed > 0) {
    warnings.push(
      `${unanalysed} vulnerabilities have no analysis and make no VEX statement; they were skipped.`,
    );
  }
  if (unresolved.size > 0) {
    warnings.push(
      `${unresolved.size} affects refs match no component bom-ref; kept as written: ${[
        ...unresolved,
      ]
        .slice(0, 5)
        .map((ref) => quote(ref))
        .join(', ')}.`,
    );
  }
  return { spec_version: nonEmptyString(doc.specVersion), statements, warnings, unanalysed };
}

/**
 * The component's purl; for a component without one, `name@version` so the statement can still
 * match a finding by package name and version; otherwise the ref itself (a BOM-Link into another
 * document is kept as-is).
 */
function productFor(
  ref: string,
  index: ReturnType<typeof indexComponents>,
  serialNumber: unknown,
): string {
  const component = resolveRef(ref, index, serialNumber);
  if (component === null) return ref;
  if (component.purl !== null) return component.purl;
  if (component.name !== null && component.version !== null) {
    return `${component.name}@${component.version}`;
  }
  return ref;
}
