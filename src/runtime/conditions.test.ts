import { describe, expect, it } from '@jest/globals';
import { MAX_CONDITION_MESSAGE, jsonEqual, setCondition } from './conditions.js';

describe('setCondition', () => {
  it('keeps lastTransitionTime while the status does not flip', () => {
    const a = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'X', message: 'm1' }, 't1');
    const b = setCondition(a, { type: 'Ready', status: 'False', reason: 'Y', message: 'm2' }, 't2');
    expect(b[0]).toMatchObject({ reason: 'Y', message: 'm2', lastTransitionTime: 't1' });
    const c = setCondition(b, { type: 'Ready', status: 'True', reason: 'Z' }, 't3');
    expect(c).toHaveLength(1);
    expect(c[0]!.lastTransitionTime).toBe('t3');
  });
  it('bounds a message and escapes its control characters, so the status stays writable', () => {
    const [c] = setCondition(
      undefined,
      { type: 'Ready', status: 'False', reason: 'X', message: `key "\u0000${'k'.repeat(1 << 20)}"` },
      't1',
    );
    expect(c!.message!.length).toBe(MAX_CONDITION_MESSAGE);
    expect(c!.message!.startsWith('key "\\x00kkk')).toBe(true);
    expect(c!.message!.endsWith('...')).toBe(true);
  });

  it('leaves other condition types alone', () => {
    const a = setCondition([{ type: 'Other', status: 'True' }], { type: 'Ready', status: 'True' }, 't');
    expect(a.map((c) => c.type).sort()).toEqual(['Other', 'Ready']);
  });
});

describe('jsonEqual', () => {
  it('ignores key order and undefined members', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1, d: undefined })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
    expect(jsonEqual([1], { 0: 1 })).toBe(false);
  });
});
