import { describe, expect, it } from '@jest/globals';
import { LineSplitter } from './watchstream.js';

describe('LineSplitter', () => {
  it('reassembles lines split across chunks, ignores blank lines and CRLF', () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(s.push(Buffer.from(':2'))).toEqual([]);
    expect(s.push(Buffer.from('}\r\n\n{"c":3}\n{"d"'))).toEqual(['{"b":2}', '{"c":3}']);
    expect(s.end()).toBe('{"d"');
    expect(s.end()).toBeUndefined();
  });

  it('keeps multi-byte characters intact when a chunk splits them', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('{"v":"ü€"}\n');
    expect(s.push(bytes.subarray(0, 8))).toEqual([]);
    expect(s.push(bytes.subarray(8))).toEqual(['{"v":"ü€"}']);
  });

  it('refuses an unbounded line', () => {
    const s = new LineSplitter(10);
    expect(() => s.push(Buffer.from('01234567890123'))).toThrow(/exceeds/);
  });
});
