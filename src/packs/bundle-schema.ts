/**
 * The bundle's shape, part by part. Each part is read on its own so a malformed part stops only
 * the checks that need it; every problem is reported as a `format` check naming the JSON path.
 * The pack body is read loosely: its content is covered by the digest and the signature, so
 * only the fields the verifier walks (the artifact and the document references) are typed.
 */
import { z } from 'zod';
import { quote } from '../platform/text/quote.js';
import { BUNDLE_FORMAT, type CheckList } from './bundle-types.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
// Linear to test: one character class, no nested quantifiers.
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected standard base64');
const count = z.number().int().nonnegative();

const documentRef = z.looseObject({
  evidence_id: z.string(),
  kind: z.string(),
  format: z.string(),
  sha256: hex64,
  size_bytes: count,
});

const withDocument = z.looseObject({ document: documentRef });

const packBody = z.looseObject({
  artifact_sha256: hex64,
  artifact_filename: z.string(),
  version: z.string(),
  artifact_signature: withDocument.nullable(),
  sbom_data: withDocument.nullable(),
  vuln_scan_results: z
    .looseObject({ document: documentRef, vex_documents: z.array(documentRef) })
    .nullable(),
  test_evidence: z.looseObject({
    lab: withDocument.nullable(),
    ring0: withDocument.nullable(),
  }),
});

const pack = z.strictObject({
  id: z.string().min(1),
  version: z.string(),
  digest: hex64,
  body: packBody,
});

const envelope = z.strictObject({
  payloadType: z.string(),
  payload: base64,
  signatures: z.array(z.strictObject({ keyid: z.string(), sig: base64 })),
});

const documents = z.array(
  z.strictObject({
    sha256: hex64,
    kind: z.string(),
    format: z.string(),
    media_type: z.string(),
    size_bytes: count,
    content_base64: base64,
  }),
);

const seq = z.number().int().positive();

const openedEvent = z.strictObject({
  seq,
  id: z.string(),
  event_type: z.string(),
  correlation_id: z.string().nullable(),
  actor: z.string(),
  subject: z.string().nullable(),
  data: z.string(),
  created_at: z.string(),
  prev_hash: hex64,
  hash: hex64,
});

const redactedEvent = z.strictObject({
  seq,
  prev_hash: hex64,
  hash: hex64,
  redacted: z.literal(true),
});

const checkpoint = z.strictObject({
  seq,
  hash: hex64,
  key_id: hex64,
  signature: base64,
  created_at: z.string(),
});

const audit = z.strictObject({
  events: z.array(z.unknown()).min(1, 'the bundle carries no audit events'),
  checkpoint: checkpoint.nullable(),
});

const publicKey = z.strictObject({
  key_id: z.string(),
  algorithm: z.literal('ed25519'),
  pem: z.string(),
});

/** Optional: older bundles lack it, null when the pack had not been submitted. */
const cabDecision = z
  .strictObject({
    request_id: z.string().min(1),
    status: z.string(),
    attestation: envelope.nullable(),
  })
  .nullable();

const TOP_KEYS = new Set([
  'format',
  'exported_at',
  'pack',
  'envelope',
  'documents',
  'audit',
  'public_key',
  'cab_decision',
]);

const exportedAt = z.iso.datetime({ offset: true });

export type ParsedPack = z.infer<typeof pack>;
export type ParsedBody = ParsedPack['body'];
export type ParsedDocumentRef = z.infer<typeof documentRef>;
export type ParsedEnvelope = z.infer<typeof envelope>;
export type ParsedDocument = z.infer<typeof documents>[number];
export type OpenedEvent = z.infer<typeof openedEvent>;
export type RedactedEvent = z.infer<typeof redactedEvent>;
export type ParsedEvent = OpenedEvent | RedactedEvent;
export type ParsedCheckpoint = z.infer<typeof checkpoint>;
export type ParsedPublicKey = z.infer<typeof publicKey>;
export type ParsedCabDecision = NonNullable<z.infer<typeof cabDecision>>;

export interface ParsedAudit {
  events: ParsedEvent[];
  checkpoint: ParsedCheckpoint | null;
}

/** The parts that could be read; a missing one was reported under `format`. */
export interface ParsedBundle {
  pack?: ParsedPack;
  /** The body exactly as it came: the digest is computed over this, not over a parsed copy. */
  rawBody?: unknown;
  envelope?: ParsedEnvelope;
  documents?: ParsedDocument[];
  audit?: ParsedAudit;
  publicKey?: ParsedPublicKey;
  /**
   * `absent`: no `cab_decision` member (a bundle from before decisions were bundled);
   * `unreadable`: reported under `format`; otherwise the member, null when not submitted.
   */
  cabDecision: ParsedCabDecision | null | 'absent' | 'unreadable';
}

/** Enough problems to locate the damage without drowning the report. */
const MAX_FORMAT_CHECKS = 20;

/** Reads the bundle part by part; returns null when it is not a v1 bundle at all. */
export function readBundle(input: unknown, checks: CheckList): ParsedBundle | null {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    checks.fail('format', '(the bundle): expected a JSON object');
    return null;
  }
  const raw = input as Record<string, unknown>;
  if (raw.format !== BUNDLE_FORMAT) {
    checks.fail(
      'format',
      `format: ${raw.format === undefined ? 'missing' : quote(raw.format)}: this verifier reads ${BUNDLE_FORMAT} only`,
    );
    return null;
  }
  let problems = 0;
  const problem = (message: string) => {
    problems += 1;
    if (problems <= MAX_FORMAT_CHECKS) checks.fail('format', message);
  };
  for (const key of Object.keys(raw)) {
    if (!TOP_KEYS.has(key)) problem(`${key}: unrecognized key`);
  }
  const read = <T>(schema: z.ZodType<T>, value: unknown, path: string): T | undefined => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      problem(`${pathText([path, ...issue.path])}: ${issue.message}`);
    }
    return undefined;
  };
  read(exportedAt, raw.exported_at, 'exported_at');
  const parsed: ParsedBundle = { cabDecision: 'absent' };
  parsed.pack = read(pack, raw.pack, 'pack');
  if (parsed.pack) parsed.rawBody = (raw.pack as { body: unknown }).body;
  parsed.envelope = read(envelope, raw.envelope, 'envelope');
  parsed.documents = read(documents, raw.documents, 'documents');
  parsed.publicKey = read(publicKey, raw.public_key, 'public_key');
  if ('cab_decision' in raw) {
    const decision = read(cabDecision, raw.cab_decision, 'cab_decision');
    parsed.cabDecision = decision === undefined ? 'unreadable' : decision;
  }
  const auditPart = read(audit, raw.audit, 'audit');
  if (auditPart) {
    const events: ParsedEvent[] = [];
    auditPart.events.forEach((event, i) => {
      const redacted = typeof event === 'object' && event !== null && 'redacted' in event;
      const one = read<ParsedEvent>(
        redacted ? redactedEvent : openedEvent,
        event,
        `audit.events[${i}]`,
      );
      if (one) events.push(one);
    });
    if (events.length === auditPart.events.length) {
      parsed.audit = { events, checkpoint: auditPart.checkpoint };
    }
  }
  if (problems > MAX_FORMAT_CHECKS) {
    checks.fail('format', `… and ${problems - MAX_FORMAT_CHECKS} more format problems`);
  }
  if (problems === 0)
    checks.pass('format', `${BUNDLE_FORMAT}, exported at ${String(raw.exported_at)}`);
  return parsed;
}

/** `audit.events[3].hash`: the JSON path as a person would write it. */
export function pathText(path: readonly PropertyKey[]): string {
  let text = '';
  for (const key of path) {
    if (typeof key === 'number') text += `[${key}]`;
    else text += text === '' ? String(key) : `.${String(key)}`;
  }
  return text;
}
