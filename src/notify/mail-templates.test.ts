import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../outbox/outbox-store.js';
import { escapeHtml, renderMail } from './mail-templates.js';

const BASE = 'https://cab.example.org';
const REQ = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const EXC = '0190ffff-0000-7000-8000-000000000001';

function message(event_type: string, payload: Record<string, unknown>): OutboxMessage {
  return {
    id: '0190eeee-0000-7000-8000-000000000009',
    channel: 'email',
    event_type,
    plane: null,
    endpoint_id: null,
    recipients: [{ user_id: 'u1', email: 'ann@example.org' }],
    subject_id: event_type.startsWith('exception.') ? EXC : REQ,
    payload,
    status: 'pending',
    attempts: 0,
    next_attempt_at: '2026-01-01T00:00:00.000Z',
    last_error: null,
    correlation_id: null,
    dedupe_key: null,
    created_at: '2026-01-01T00:00:00.000Z',
    delivered_at: null,
  };
}

const request = (overrides: Record<string, unknown> = {}) => ({
  id: REQ,
  evidence_pack: { id: 'pack-1', version: '3', digest: 'sha256:00' },
  app_name: '7-Zip',
  app_version: '24.08',
  plane: 'intune',
  change_type: 'normal',
  risk_score: 61.5,
  recommendation: 'HIGH',
  violation_count: 2,
  exception_count: 1,
  submitted_at: '2026-01-01T00:00:00.000Z',
  submitted_by: 'user-ann',
  submission_justification: 'Security update\nfor CVE-2024-11477',
  status: 'pending',
  reviewed_by: null,
  review_notes: null,
  authorization_expires_at: null,
  ...overrides,
});

const exception = (overrides: Record<string, unknown> = {}) => ({
  id: EXC,
  exception_type: 'vuln_critical',
  scope: {
    artifact_sha256: 'ab'.repeat(32),
    finding_ids: ['CVE-2024-3094|xz-utils|5.6.0'],
    rule_ids: [],
  },
  description: 'the affected sshd path is not shipped',
  compensating_controls: 'sshd disabled by GPO',
  expires_at: '2026-01-08T00:00:00.000Z',
  status: 'approved',
  requested_by: 'user-ann',
  approved_by: 'user-rev',
  decided_reason: null,
  ...overrides,
});

const render = (event: string, payload: Record<string, unknown>) =>
  renderMail(message(event, payload), BASE);

describe('renderMail: CAB requests', () => {
  const link = `${BASE}/cab/${REQ}`;

  it('asks CAB members for approval, naming app, version, band and request', () => {
    const mail = render('cab.request.submitted', { request: request() });
    expect(mail.subject).toBe(`[cabinet] Approval needed: 7-Zip 24.08 (HIGH) — CAB request ${REQ}`);
    expect(mail.text).toContain(`Review the request: ${link}`);
    expect(mail.text).toContain('Risk band: HIGH (score 61.5)');
    expect(mail.text).toContain('Justification:\n  Security update\n  for CVE-2024-11477');
    expect(mail.html).toContain(`<a href="${link}"`);
    expect(mail.html).toMatch(/<!doctype html>/);
  });

  it('says when a submitted change is an emergency', () => {
    const mail = render('cab.request.submitted', {
      request: request({ change_type: 'emergency', recommendation: 'CRITICAL' }),
    });
    expect(mail.subject).toBe(
      `[cabinet] Emergency approval needed: 7-Zip 24.08 (CRITICAL) — CAB request ${REQ}`,
    );
  });

  it('tells the submitter of a denial with the veto reason', () => {
    const mail = render('cab.request.decided', {
      request: request({
        status: 'denied',
        review_notes: 'no rollback test',
        reviewed_by: 'cab-1',
      }),
      reason: 'no rollback test',
    });
    expect(mail.subject).toBe(`[cabinet] Denied: 7-Zip 24.08 (HIGH) — CAB request ${REQ}`);
    expect(mail.text).toContain('Reason for the veto:\n  no rollback test');
    // The notes are the reason: said once.
    expect(mail.text.match(/no rollback test/g)).toHaveLength(1);
    expect(mail.text).toContain('Decided by: cab-1');
    expect(mail.text).toContain(link);
  });

  it.each([
    ['approved', 'Approved'],
    ['approved_with_conditions', 'Approved with conditions'],
    ['auto_approved', 'Auto-approved'],
    ['something_new', 'Decided (something_new)'],
  ])('names the decision %s in the subject', (status, word) => {
    const mail = render('cab.request.decided', {
      request: request({
        status,
        review_notes: 'looks fine',
        authorization_expires_at: '2026-01-15T00:00:00.000Z',
      }),
      reason: null,
    });
    expect(mail.subject).toBe(`[cabinet] ${word}: 7-Zip 24.08 (HIGH) — CAB request ${REQ}`);
    expect(mail.text).toContain('Review notes:\n  looks fine');
    expect(mail.text).toContain('Authorised until: 2026-01-15T00:00:00.000Z');
    expect(mail.text).not.toContain('Reason');
  });

  it.each([
    ['exception_expired', 'an exception it relied on expired'],
    ['exception_revoked', 'an exception it relied on was revoked'],
  ])('tells reviewers a request went stale (%s)', (code, why) => {
    const mail = render('cab.request.stale', {
      request: request(),
      reason: { code, exception_id: EXC, message: `exception ${EXC} lapsed`, at: 'x' },
    });
    expect(mail.subject).toBe(`[cabinet] Stale: 7-Zip 24.08 (HIGH) — CAB request ${REQ}`);
    expect(mail.text).toContain(why);
    expect(mail.text).toContain(`Exception: ${EXC}`);
    expect(mail.text).toContain(link);
  });
});

describe('renderMail: exceptions', () => {
  const link = `${BASE}/exceptions/${EXC}`;
  const artifact = `artifact ${'ab'.repeat(5)}a…`;

  it('asks security reviewers to review a requested exception', () => {
    const mail = render('exception.requested', {
      exception: exception({ status: 'pending', approved_by: null }),
    });
    expect(mail.subject).toBe(
      `[cabinet] Exception review needed: vuln_critical for ${artifact} — exception ${EXC}`,
    );
    expect(mail.text).toContain('Waives: CVE-2024-3094|xz-utils|5.6.0');
    expect(mail.text).toContain(`Review the exception: ${link}`);
    expect(mail.html).toContain(`href="${link}"`);
  });

  it.each([
    [
      'approved',
      { verification_steps: 'GPO report reviewed' },
      'Verification steps:\n  GPO report reviewed',
    ],
    ['rejected', { reason: 'controls not in place' }, 'Reason:\n  controls not in place'],
    ['revoked', { reason: 'sshd is back' }, 'Reason:\n  sshd is back'],
  ])('tells the requester the exception was %s', (transition, data, says) => {
    const mail = render(`exception.${transition}`, { exception: exception(), ...data });
    expect(mail.subject).toBe(
      `[cabinet] Exception ${transition}: vuln_critical for ${artifact} — exception ${EXC}`,
    );
    expect(mail.text).toContain(says);
    expect(mail.text).toContain(link);
  });

  it('reminds of an exception about to expire', () => {
    const mail = render('exception.expiring', {
      exception: exception(),
      threshold_days: 7,
      days_left: 6,
      expires_at: '2026-01-08T00:00:00.000Z',
    });
    expect(mail.subject).toBe(
      `[cabinet] Exception expires within 7 days: vuln_critical for ${artifact} — exception ${EXC}`,
    );
    expect(mail.text).toContain('Expires at: 2026-01-08T00:00:00.000Z');
    expect(mail.text).toContain('Days left: 6');
    expect(mail.text.match(/Expires at:/g)).toHaveLength(1);
    const oneDay = render('exception.expiring', { exception: exception(), threshold_days: 1 });
    expect(oneDay.subject).toContain('Exception expires within 1 day:');
  });

  it('lists at most five waived ids and counts the rest', () => {
    const ids = Array.from({ length: 8 }, (_, i) => `CVE-2024-000${i}`);
    const mail = render('exception.requested', {
      exception: exception({ scope: { artifact_sha256: 'ab'.repeat(32), finding_ids: ids } }),
    });
    expect(mail.text).toContain(`Waives: ${ids.slice(0, 5).join(', ')} and 3 more`);
  });
});

describe('renderMail: anything else', () => {
  it('renders an unknown event type with a generic subject naming it', () => {
    const mail = renderMail({ ...message('deployment.rolled_back', {}), subject_id: null }, BASE);
    expect(mail.subject).toBe('[cabinet] Notification: deployment.rolled_back');
    expect(mail.text).toContain(`Open the dashboard: ${BASE}`);
    expect(mail.html).toContain('deployment.rolled_back');
  });

  it('links a generic mail to its subject when the event names its kind', () => {
    const mail = render('cab.request.unheard_of', {});
    expect(mail.subject).toBe(`[cabinet] Notification: cab.request.unheard_of — ${REQ}`);
    expect(mail.text).toContain(`${BASE}/cab/${REQ}`);
    expect(render('exception.unheard_of', {}).text).toContain(`${BASE}/exceptions/${EXC}`);
    expect(render('other.thing', {}).text).toContain(`Open the dashboard: ${BASE}\n`);
  });

  it('renders a malformed payload of a known event instead of failing', () => {
    for (const payload of [{}, { request: 'x' }, { request: null }, { request: [1, 2] }]) {
      const mail = render('cab.request.submitted', payload);
      expect(mail.subject).toBe(
        `[cabinet] Approval needed: unnamed app ? (unrated) — CAB request ${REQ}`,
      );
      expect(mail.text).toContain(`${BASE}/cab/${REQ}`);
    }
    const none = renderMail({ ...message('exception.expiring', {}), subject_id: null }, BASE);
    expect(none.subject).toBe('[cabinet] Exception expires soon: exception — exception unknown');
    expect(none.text).toContain(`${BASE}/exceptions\n`);
  });

  it('drops a trailing slash of the public URL', () => {
    const mail = renderMail(message('cab.request.submitted', { request: request() }), `${BASE}//`);
    expect(mail.text).toContain(`${BASE}/cab/${REQ}`);
  });
});

describe('renderMail: untrusted values', () => {
  const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)> \'q\'';

  it('escapes every untrusted value in the HTML and keeps it readable in the text', () => {
    const mail = render('cab.request.decided', {
      request: request({ app_name: hostile, status: 'denied', review_notes: hostile }),
      reason: hostile,
    });
    const escaped = escapeHtml(hostile);
    expect(escaped).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt; &#39;q&#39;',
    );
    expect(mail.html).toContain(escaped);
    expect(mail.html).not.toMatch(/<script|<img/i);
    expect(mail.text).toContain(hostile);
    expect(mail.subject).toContain(hostile.slice(0, 40));
  });

  it('escapes an id that would break out of the link, and encodes it in the URL', () => {
    const id = '"><script>x</script>';
    const mail = render('cab.request.submitted', { request: request({ id }) });
    expect(mail.html).not.toMatch(/<script/i);
    expect(mail.text).toContain(`${BASE}/cab/${encodeURIComponent(id)}`);
  });

  it('keeps header injection out of the subject and bounds long values', () => {
    const mail = render('cab.request.submitted', {
      request: request({
        app_name: `Evil\r\nBcc: all@example.org\u202e${'A'.repeat(100_000)}`,
        submission_justification: 'J'.repeat(100_000),
      }),
    });
    expect(mail.subject).not.toMatch(/[\r\n\u202e]/);
    expect(mail.subject).toMatch(
      /^\[cabinet\] Approval needed: Evil Bcc: all@example\.orgA+… 24\.08 \(HIGH\) — /,
    );
    expect(mail.subject.length).toBeLessThan(250);
    expect(mail.text.length).toBeLessThan(5_000);
    expect(mail.html.length).toBeLessThan(10_000);
    expect(mail.text).toContain(`${'J'.repeat(1_999)}…`);
  });

  it('strips control and bidi characters, keeping line breaks in free text', () => {
    const mail = render('exception.rejected', {
      exception: exception(),
      reason: 'line one\r\nline\u0000 two\u202e\u2066\n\n\n\nlast',
    });
    expect(mail.text).toContain('Reason:\n  line one\n  line  two\n\n  last');
  });

  const payloadString = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('<script>', '<SCRIPT src=//x>', '<scr<script>ipt>', '</script><script>'),
    fc
      .tuple(fc.string(), fc.constantFrom('<script', '<ScRiPt', '<\u0000script'), fc.string())
      .map(([a, b, c]) => `${a}${b}${c}`),
  );
  const events = fc.constantFrom(
    'cab.request.submitted',
    'cab.request.decided',
    'cab.request.stale',
    'exception.requested',
    'exception.approved',
    'exception.rejected',
    'exception.revoked',
    'exception.expiring',
    'unknown.event',
  );

  it('never renders an unescaped <script from any payload string (property)', () => {
    const requestArb = fc.record({
      id: payloadString,
      app_name: payloadString,
      app_version: payloadString,
      recommendation: payloadString,
      plane: payloadString,
      change_type: fc.oneof(payloadString, fc.constant('emergency')),
      status: fc.oneof(payloadString, fc.constant('denied')),
      submitted_by: payloadString,
      submission_justification: payloadString,
      review_notes: payloadString,
      reviewed_by: payloadString,
      evidence_pack: fc.record({ id: payloadString, version: payloadString }),
    });
    const exceptionArb = fc.record({
      id: payloadString,
      exception_type: payloadString,
      scope: fc.record({
        artifact_sha256: payloadString,
        finding_ids: fc.array(payloadString, { maxLength: 7 }),
        rule_ids: fc.array(payloadString, { maxLength: 3 }),
      }),
      description: payloadString,
      compensating_controls: payloadString,
      expires_at: payloadString,
      requested_by: payloadString,
      decided_reason: payloadString,
    });
    fc.assert(
      fc.property(
        events,
        requestArb,
        exceptionArb,
        payloadString,
        fc.record({ code: payloadString, message: payloadString, exception_id: payloadString }),
        fc.option(payloadString, { nil: null }),
        (event, req, exc, reason, staleReason, subject) => {
          const payload = {
            request: req,
            exception: exc,
            reason: event === 'cab.request.stale' ? staleReason : reason,
            verification_steps: reason,
            expires_at: reason,
          };
          const mail = renderMail(
            { ...message(event, payload), subject_id: subject, event_type: event },
            BASE,
          );
          expect(mail.html).not.toMatch(/<script/i);
          expect(mail.html).not.toMatch(/<\/?(img|iframe|svg|object|style)\b/i);
          expect(mail.subject).not.toMatch(/[\r\n]/);
          expect(mail.subject.startsWith('[cabinet] ')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('renders any payload at all without throwing (property)', () => {
    fc.assert(
      fc.property(events, fc.dictionary(fc.string(), fc.anything()), (event, payload) => {
        const mail = renderMail(message(event, payload), BASE);
        expect(mail.subject.startsWith('[cabinet] ')).toBe(true);
        expect(mail.text.length).toBeGreaterThan(0);
        expect(mail.html.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});
