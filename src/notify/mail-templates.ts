/**
 * What each email says, as pure functions of the outbox message: no clock, no database, no
 * network, so a retry renders the same mail and tests need nothing but data.
 *
 * Every event is first described as a small document (subject, heading, fields, a link to
 * the dashboard) and then written twice, as plain text and as HTML, from that one
 * description. Payload values are untrusted (app names, notes and reasons are typed by
 * users): they are read defensively (a malformed payload still renders), flattened and
 * bounded in the subject, stripped of control and bidi characters, and HTML-escaped in the
 * HTML body. The templates themselves write no script and no remote content.
 */
import type { OutboxMessage } from '../outbox/outbox-store.js';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** One line of the mail's table: a label and what it says (multiline keeps its newlines). */
interface Field {
  label: string;
  value: string;
  multiline?: boolean;
}

interface MailDocument {
  subject: string;
  heading: string;
  intro: string;
  fields: Field[];
  link: { label: string; url: string };
}

/** Bounds for untrusted text: in a subject, in a field, in a free-text block. */
const SUBJECT_PART_MAX = 80;
const FIELD_MAX = 300;
const BLOCK_MAX = 2_000;
const ID_MAX = 64;
/** An app name or version as the intro sentence quotes it. */
const NAME_MAX = 120;

type Payload = Record<string, unknown>;
type Template = (message: OutboxMessage, publicUrl: string) => MailDocument;

const TEMPLATES: Record<string, Template> = {
  'cab.request.submitted': submitted,
  'cab.request.decided': decided,
  'cab.request.stale': stale,
  'exception.requested': exceptionRequested,
  'exception.approved': exceptionDecided,
  'exception.rejected': exceptionDecided,
  'exception.revoked': exceptionDecided,
  'exception.expiring': exceptionExpiring,
};

/** The email for an outbox message: subject, plain text and HTML. Never throws. */
export function renderMail(message: OutboxMessage, publicUrl: string): RenderedMail {
  const base = publicUrl.replace(/\/+$/, '');
  const template = TEMPLATES[message.event_type] ?? generic;
  let doc: MailDocument;
  try {
    doc = template(message, base);
  } catch {
    // A template reads defensively; should one still trip on a payload, the reader gets
    // the generic mail rather than none.
    doc = generic(message, base);
  }
  return {
    subject: `[cabinet] ${doc.subject}`,
    text: renderText(doc, message),
    html: renderHtml(doc, message),
  };
}

// --- CAB requests ---------------------------------------------------------------------------

interface RequestFacts {
  id: string;
  app: string;
  version: string;
  band: string;
  plane: string;
  changeType: string;
  link: string;
}

function requestOf(payload: Payload, message: OutboxMessage, base: string): RequestFacts {
  const request = record(payload.request);
  const id = str(request.id) || message.subject_id || '';
  return {
    id,
    app: flat(str(request.app_name), NAME_MAX) || 'unnamed app',
    version: flat(str(request.app_version), NAME_MAX) || '?',
    band: flat(str(request.recommendation), NAME_MAX) || 'unrated',
    plane: flat(str(request.plane), NAME_MAX),
    changeType: flat(str(request.change_type), NAME_MAX),
    link: id ? `${base}/cab/${encodeURIComponent(id)}` : `${base}/cab`,
  };
}

/** `7-Zip 24.08 (HIGH) — CAB request <id>`: what every request subject names. */
function requestSubject(what: string, r: RequestFacts): string {
  return `${what}: ${part(r.app)} ${part(r.version)} (${part(r.band)}) — CAB request ${ident(r.id)}`;
}

function requestFields(payload: Payload, r: RequestFacts): Field[] {
  const request = record(payload.request);
  const pack = record(request.evidence_pack);
  const fields: Field[] = [
    { label: 'Application', value: `${r.app} ${r.version}` },
    { label: 'Risk band', value: withScore(r.band, request.risk_score) },
    { label: 'Change type', value: r.changeType },
    { label: 'Plane', value: r.plane },
    {
      label: 'Evidence pack',
      value: joinNonEmpty([str(pack.id), str(pack.version) && `version ${str(pack.version)}`]),
    },
    { label: 'Policy violations', value: num(request.violation_count) },
    { label: 'Exceptions relied on', value: num(request.exception_count) },
    { label: 'Submitted by', value: str(request.submitted_by) },
    { label: 'Submitted at', value: str(request.submitted_at) },
  ];
  return fields;
}

function submitted(message: OutboxMessage, base: string): MailDocument {
  const payload = message.payload;
  const r = requestOf(payload, message, base);
  const request = record(payload.request);
  const emergency = r.changeType === 'emergency';
  return {
    subject: requestSubject(emergency ? 'Emergency approval needed' : 'Approval needed', r),
    heading: emergency ? 'An emergency change needs your review' : 'A change needs your review',
    intro: `${r.app} ${r.version} was submitted to the CAB${r.plane ? ` for ${r.plane}` : ''}. Review the evidence and vote in the dashboard.`,
    fields: [
      ...requestFields(payload, r),
      {
        label: 'Justification',
        value: str(request.submission_justification),
        multiline: true,
      },
    ],
    link: { label: 'Review the request', url: r.link },
  };
}

const DECISIONS: Record<string, string> = {
  approved: 'Approved',
  approved_with_conditions: 'Approved with conditions',
  auto_approved: 'Auto-approved',
  denied: 'Denied',
};

function decided(message: OutboxMessage, base: string): MailDocument {
  const payload = message.payload;
  const r = requestOf(payload, message, base);
  const request = record(payload.request);
  const status = str(request.status);
  const decision = DECISIONS[status] ?? (status ? `Decided (${status})` : 'Decided');
  const denied = status === 'denied';
  // A denial's reason is the vetoing reviewer's notes (the payload carries them as reason).
  const reason = str(payload.reason) || (denied ? str(request.review_notes) : '');
  const notes = str(request.review_notes);
  return {
    subject: requestSubject(decision, r),
    heading: `Your change request was ${decision.toLowerCase()}`,
    intro: denied
      ? `The CAB denied ${r.app} ${r.version}. The reason is below; a new pack version can be submitted again.`
      : `The CAB decided on ${r.app} ${r.version}: ${decision.toLowerCase()}.`,
    fields: [
      { label: 'Decision', value: decision },
      ...requestFields(payload, r),
      { label: 'Decided by', value: str(request.reviewed_by) },
      { label: 'Decided at', value: str(request.reviewed_at) },
      { label: 'Authorised until', value: str(request.authorization_expires_at) },
      { label: 'Post-implementation review due', value: str(request.post_review_due_at) },
      { label: denied ? 'Reason for the veto' : 'Reason', value: reason, multiline: true },
      { label: 'Review notes', value: notes === reason ? '' : notes, multiline: true },
    ],
    link: { label: 'Open the request', url: r.link },
  };
}

function stale(message: OutboxMessage, base: string): MailDocument {
  const payload = message.payload;
  const r = requestOf(payload, message, base);
  const reason = record(payload.reason);
  const code = str(reason.code);
  const what =
    code === 'exception_revoked'
      ? 'an exception it relied on was revoked'
      : code === 'exception_expired'
        ? 'an exception it relied on expired'
        : 'its evidence no longer holds';
  return {
    subject: requestSubject('Stale', r),
    heading: 'A request you review went stale',
    intro: `${r.app} ${r.version} is still pending, but ${what}. It cannot be approved as it is; the submitter needs a new pack version or a new exception.`,
    fields: [
      { label: 'Why', value: str(reason.message), multiline: true },
      { label: 'Exception', value: str(reason.exception_id) },
      { label: 'Since', value: str(reason.at) },
      ...requestFields(payload, r),
    ],
    link: { label: 'Open the request', url: r.link },
  };
}

// --- exceptions -----------------------------------------------------------------------------

interface ExceptionFacts {
  id: string;
  type: string;
  artifact: string;
  waives: string;
  link: string;
}

function exceptionOf(payload: Payload, message: OutboxMessage, base: string): ExceptionFacts {
  const exception = record(payload.exception);
  const scope = record(exception.scope);
  const id = str(exception.id) || message.subject_id || '';
  const ids = [...strings(scope.finding_ids), ...strings(scope.rule_ids)];
  return {
    id,
    type: flat(str(exception.exception_type), NAME_MAX) || 'exception',
    artifact: str(scope.artifact_sha256),
    waives:
      ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`,
    link: id ? `${base}/exceptions/${encodeURIComponent(id)}` : `${base}/exceptions`,
  };
}

/** `vuln_critical for artifact 1a2b3c4d5e6f… — exception <id>` */
function exceptionSubject(what: string, e: ExceptionFacts): string {
  const artifact = e.artifact ? ` for artifact ${part(e.artifact, 12)}` : '';
  return `${what}: ${part(e.type)}${artifact} — exception ${ident(e.id)}`;
}

function exceptionFields(payload: Payload, e: ExceptionFacts): Field[] {
  const exception = record(payload.exception);
  return [
    { label: 'Type', value: e.type },
    { label: 'Artifact (SHA-256)', value: e.artifact },
    { label: 'Waives', value: e.waives },
    { label: 'Expires at', value: str(exception.expires_at) },
    { label: 'Requested by', value: str(exception.requested_by) },
    { label: 'Description', value: str(exception.description), multiline: true },
    {
      label: 'Compensating controls',
      value: str(exception.compensating_controls),
      multiline: true,
    },
  ];
}

function exceptionRequested(message: OutboxMessage, base: string): MailDocument {
  const e = exceptionOf(message.payload, message, base);
  return {
    subject: exceptionSubject('Exception review needed', e),
    heading: 'An exception needs a security review',
    intro: `A ${e.type} exception was requested. Approve it with the verification steps you took, or reject it with a reason.`,
    fields: exceptionFields(message.payload, e),
    link: { label: 'Review the exception', url: e.link },
  };
}

function exceptionDecided(message: OutboxMessage, base: string): MailDocument {
  const payload = message.payload;
  const e = exceptionOf(payload, message, base);
  const exception = record(payload.exception);
  const transition = message.event_type.slice('exception.'.length);
  const word =
    transition === 'approved' ? 'Approved' : transition === 'rejected' ? 'Rejected' : 'Revoked';
  return {
    subject: exceptionSubject(`Exception ${word.toLowerCase()}`, e),
    heading: `Your exception was ${word.toLowerCase()}`,
    intro:
      transition === 'approved'
        ? `Your ${e.type} exception is approved and counts until it expires.`
        : transition === 'rejected'
          ? `Your ${e.type} exception was rejected; it does not count.`
          : `Your ${e.type} exception was revoked and no longer counts; requests relying on it went stale.`,
    fields: [
      { label: 'Decision', value: word },
      { label: 'Decided by', value: str(exception.approved_by) || str(exception.decided_by) },
      {
        label: 'Reason',
        value: str(payload.reason) || str(exception.decided_reason),
        multiline: true,
      },
      {
        label: 'Verification steps',
        value: str(payload.verification_steps) || str(exception.compensating_control_verification),
        multiline: true,
      },
      ...exceptionFields(payload, e),
    ],
    link: { label: 'Open the exception', url: e.link },
  };
}

function exceptionExpiring(message: OutboxMessage, base: string): MailDocument {
  const payload = message.payload;
  const e = exceptionOf(payload, message, base);
  const exception = record(payload.exception);
  const threshold = typeof payload.threshold_days === 'number' ? payload.threshold_days : null;
  const within = threshold === null ? 'soon' : `within ${days(threshold)}`;
  const expiresAt = str(payload.expires_at) || str(exception.expires_at);
  return {
    subject: exceptionSubject(`Exception expires ${within}`, e),
    heading: `An exception expires ${within}`,
    intro: `This ${e.type} exception stops counting at ${expiresAt || 'its expiry'}. Requests relying on it will go stale then; request a new exception in time if it is still needed.`,
    fields: [
      { label: 'Expires at', value: expiresAt },
      { label: 'Days left', value: num(payload.days_left) },
      ...exceptionFields(payload, e).filter((f) => f.label !== 'Expires at'),
    ],
    link: { label: 'Open the exception', url: e.link },
  };
}

// --- anything else --------------------------------------------------------------------------

function generic(message: OutboxMessage, base: string): MailDocument {
  const type = message.event_type;
  const subject = message.subject_id ?? '';
  const link = !subject
    ? base
    : type.startsWith('cab.')
      ? `${base}/cab/${encodeURIComponent(subject)}`
      : type.startsWith('exception.')
        ? `${base}/exceptions/${encodeURIComponent(subject)}`
        : base;
  return {
    subject: `Notification: ${part(type)}${subject ? ` — ${ident(subject)}` : ''}`,
    heading: 'A notification from cabinet',
    intro: `Something happened that you are told about (${type}). The dashboard has the details.`,
    fields: [
      { label: 'Event', value: type },
      { label: 'About', value: subject },
    ],
    link: { label: 'Open the dashboard', url: link },
  };
}

// --- writing it out -------------------------------------------------------------------------

function renderText(doc: MailDocument, message: OutboxMessage): string {
  const lines = [flat(doc.heading, FIELD_MAX), '', flat(doc.intro, BLOCK_MAX), ''];
  for (const field of shown(doc.fields)) {
    if (field.multiline) {
      lines.push(`${field.label}:`, indent(block(field.value)), '');
    } else {
      lines.push(`${field.label}: ${flat(field.value, FIELD_MAX)}`);
    }
  }
  lines.push('', `${doc.link.label}: ${doc.link.url}`, '', '-- ', footer(message));
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

function renderHtml(doc: MailDocument, message: OutboxMessage): string {
  const rows = shown(doc.fields)
    .map((field) => {
      const value = field.multiline
        ? `<div style="white-space:pre-wrap">${escapeHtml(block(field.value))}</div>`
        : escapeHtml(flat(field.value, FIELD_MAX));
      return `<tr><th style="text-align:left;vertical-align:top;padding:4px 12px 4px 0;white-space:nowrap">${escapeHtml(field.label)}</th><td style="padding:4px 0">${value}</td></tr>`;
    })
    .join('\n');
  const href = escapeHtml(doc.link.url);
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><meta name="color-scheme" content="light dark">',
    `<title>${escapeHtml(flat(doc.subject, FIELD_MAX))}</title></head>`,
    '<body style="font-family:system-ui,-apple-system,Segoe UI,sans-serif;font-size:14px;line-height:1.5;max-width:720px">',
    `<h1 style="font-size:18px">${escapeHtml(flat(doc.heading, FIELD_MAX))}</h1>`,
    `<p>${escapeHtml(flat(doc.intro, BLOCK_MAX))}</p>`,
    `<table style="border-collapse:collapse">\n${rows}\n</table>`,
    `<p><a href="${href}" style="font-weight:bold">${escapeHtml(doc.link.label)}</a><br><span style="color:#666">${href}</span></p>`,
    `<hr><p style="color:#666;font-size:12px">${escapeHtml(footer(message))}</p>`,
    '</body></html>',
    '',
  ].join('\n');
}

function footer(message: OutboxMessage): string {
  return `Sent by cabinet (event ${flat(message.event_type, ID_MAX)}, message ${flat(message.id, ID_MAX)}). You receive it because of your role in cabinet; replies are not read.`;
}

/** Fields with something to say: an absent value is left out, not shown empty. */
function shown(fields: Field[]): Field[] {
  return fields.filter((f) => f.value.trim() !== '');
}

// --- untrusted text ---------------------------------------------------------------------------

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Invisible characters that change how text reads (bidi overrides and marks, zero-width
 * joiners), such as `exe.txt` shown for `txt.exe`: removed. Control characters (line breaks
 * and tabs too, unless kept) become spaces.
 */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/gu;
const CONTROL = /[\p{Cc}\u2028\u2029]/gu;
const CONTROL_KEEP_LINES = /(?![\n\t])[\p{Cc}\u2028\u2029]/gu;

/** One line, whitespace runs folded, cut at `max` characters (code points) with an ellipsis. */
function flat(text: string, max: number): string {
  return cut(text.replace(INVISIBLE, '').replace(CONTROL, ' ').replace(/\s+/g, ' ').trim(), max);
}

/** Free text with its line breaks kept (CRLF folded to LF), cut at the block bound. */
function block(text: string): string {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .replace(INVISIBLE, '')
    .replace(CONTROL_KEEP_LINES, ' ')
    .split('\n')
    .map((line) => line.trimEnd());
  return cut(
    lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim(),
    BLOCK_MAX,
  );
}

function cut(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** An untrusted value as it appears in a subject: one line, short. */
function part(text: string, max = SUBJECT_PART_MAX): string {
  return flat(text, max);
}

/** An id as it appears in a subject: whole (a prefix would not name it), but bounded. */
function ident(id: string): string {
  return flat(id, ID_MAX) || 'unknown';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? '' : `  ${line}`))
    .join('\n');
}

// --- reading a payload -------------------------------------------------------------------------

function record(value: unknown): Payload {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Payload)
    : {};
}

function str(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

function num(value: unknown): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '';
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function withScore(band: string, score: unknown): string {
  return typeof score === 'number' && Number.isFinite(score) ? `${band} (score ${score})` : band;
}

function joinNonEmpty(parts: string[]): string {
  return parts.filter((p) => p !== '').join(', ');
}

function days(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}
