import { describe, expect, it } from 'vitest';
import { changedColumns } from './revisioned.js';

describe('changedColumns', () => {
  it('keeps only the columns whose stored value differs', () => {
    const before = { id: 'a', status: 'ready', rollout_plan: '["r0"]', revision: 3 };
    const after = { ...before, status: 'submitted', revision: 4 };
    expect(changedColumns(after, before)).toEqual({ status: 'submitted', revision: 4 });
  });

  it('compares JSON columns as the text the store writes, and null as a value', () => {
    const before = { plan: '["r0","r1"]', notes: null as string | null };
    expect(changedColumns({ plan: '["r0","r1"]', notes: null }, before)).toEqual({});
    expect(changedColumns({ plan: '["r0"]', notes: 'x' }, before)).toEqual({
      plan: '["r0"]',
      notes: 'x',
    });
  });
});
