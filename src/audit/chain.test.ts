import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../platform/crypto/canonical-json.js';
import {
  ChainVerifier,
  type Checkpoint,
  canonicalData,
  canonicalEventText,
  checkpointMessage,
  GENESIS_HASH,
  hashEvent,
  type StoredAuditEvent,
} from './chain.js';

function chain(n: number): StoredAuditEvent[] {
  const events: StoredAuditEvent[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const unhashed = {
      seq,
      id: `id-${seq}`,
      event_type: 'x.happened',
      correlation_id: seq % 2 ? null : `c${seq}`,
      actor: 'system',
      subject: seq % 3 ? `s${seq}` : null,
      data: canonicalData({ seq }),
      created_at: '2026-01-01T00:00:00.000Z',
      prev_hash: prev,
    };
    const event = { ...unhashed, hash: hashEvent(unhashed) };
    events.push(event);
    prev = event.hash;
  }
  return events;
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const text = fc.string({ unit: 'grapheme', maxLength: 20 });

describe('canonicalEventText', () => {
  it('equals RFC 8785 canonical JSON of the event with data embedded, for all inputs', () => {
    fc.assert(
      fc.property(
        fc.record({
          seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          id: text,
          event_type: text,
          correlation_id: fc.option(text, { nil: null }),
          actor: text,
          subject: fc.option(text, { nil: null }),
          data: fc.dictionary(text, jsonValue),
          created_at: text,
          prev_hash: text,
        }),
        (event) => {
          const stored = { ...event, data: canonicalData(event.data) };
          expect(canonicalEventText(stored)).toBe(canonicalJson(event));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('ChainVerifier', () => {
  const noCheckpoints = (events: StoredAuditEvent[], checkpoints: Checkpoint[] = []) => {
    const v = new ChainVerifier(checkpoints, (c) => c.signature === 'good');
    for (const e of events) if (!v.push(e)) break;
    return v.finish();
  };

  it('accepts an intact chain and reports its head', () => {
    const events = chain(10);
    expect(noCheckpoints(events)).toMatchObject({
      ok: true,
      events_checked: 10,
      last_seq: 10,
      last_hash: events[9]!.hash,
    });
    expect(noCheckpoints([])).toMatchObject({ ok: true, last_seq: 0, last_hash: GENESIS_HASH });
  });

  it('names a single missing seq and a missing range', () => {
    const events = chain(6);
    expect(noCheckpoints(events.filter((e) => e.seq !== 3)).first_bad).toMatchObject({
      seq: 3,
      reason: 'deleted',
      message: expect.stringContaining('seq 3 is missing'),
    });
    expect(noCheckpoints(events.filter((e) => e.seq < 2 || e.seq > 4)).first_bad).toMatchObject({
      seq: 2,
      message: expect.stringContaining('seq 2..4'),
    });
  });

  it('names an event that comes back out of order', () => {
    const events = chain(4);
    const out = [events[0]!, events[1]!, events[0]!];
    expect(noCheckpoints(out).first_bad).toMatchObject({ seq: 1, reason: 'reordered' });
  });

  it('verifies checkpoints: matching, mismatching, badly signed, and truncation', () => {
    const events = chain(5);
    const at = (seq: number, signature = 'good', hash = events[seq - 1]!.hash): Checkpoint => ({
      seq,
      hash,
      signature,
      key_id: 'k',
      created_at: 'now',
    });
    expect(noCheckpoints(events, [at(3)])).toMatchObject({ ok: true, checkpoints_checked: 1 });
    expect(noCheckpoints(events, [at(3, 'good', 'f'.repeat(64))]).first_bad).toMatchObject({
      seq: 3,
      reason: 'checkpoint_mismatch',
    });
    expect(noCheckpoints(events, [at(4, 'bad')]).first_bad).toMatchObject({
      seq: 4,
      reason: 'bad_checkpoint_signature',
    });
    // A bad checkpoint does not hide an earlier edit.
    const edited = events.map((e) => (e.seq === 2 ? { ...e, actor: 'mallory' } : e));
    expect(noCheckpoints(edited, [at(4, 'bad')]).first_bad).toMatchObject({
      seq: 2,
      reason: 'edited',
    });
    expect(noCheckpoints(events.slice(0, 3), [at(3), at(5)]).first_bad).toMatchObject({
      seq: 4,
      reason: 'truncated',
    });
  });

  it('starts mid-chain from a known predecessor', () => {
    const events = chain(6);
    const v = new ChainVerifier([], () => true, { seq: 3, hash: events[2]!.hash });
    for (const e of events.slice(3)) v.push(e);
    expect(v.finish()).toMatchObject({ ok: true, events_checked: 3, last_seq: 6 });
  });

  it('detects any single-field edit of any event (property)', () => {
    const events = chain(8);
    const fields = ['id', 'event_type', 'actor', 'created_at', 'data'] as const;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.constantFrom(...fields), (index, field) => {
        const tampered = events.map((e, i) =>
          i === index ? { ...e, [field]: field === 'data' ? '{"x":1}' : `${e[field]}!` } : e,
        );
        expect(noCheckpoints(tampered).first_bad).toMatchObject({
          seq: index + 1,
          reason: 'edited',
        });
      }),
    );
  });

  it('signs checkpoints over a canonical, typed message', () => {
    expect(checkpointMessage({ seq: 2, hash: 'h', key_id: 'k', created_at: 't' })).toBe(
      '{"created_at":"t","hash":"h","key_id":"k","seq":2,"type":"cabinet.audit.checkpoint/v1"}',
    );
  });
});
