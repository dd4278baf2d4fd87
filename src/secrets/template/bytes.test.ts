import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { renderTemplate } from './index.js';
import { goBytes, goString } from './bytes.js';

describe('Go byte strings (surrogateescape)', () => {
  it('keeps text as text and round-trips any bytes', () => {
    expect(goString(Buffer.from('päss 😀'))).toBe('päss 😀');
    for (const bytes of [
      [0x30, 0x82, 0x01, 0xff, 0x00, 0xc3],
      [0xe9, 0x61], // latin1 "éa"
      [0xed, 0xa0, 0x80], // an encoded surrogate is not UTF-8
      [0xf0, 0x9f, 0x98, 0x80, 0xff], // valid emoji then a stray byte
    ]) {
      const b = Uint8Array.from(bytes);
      expect(goBytes(goString(b))).toEqual(b);
    }
    expect(goBytes('😀')).toEqual(new TextEncoder().encode('😀'));
  });
  it('lets binary values through b64enc, b64dec and sha256sum as Go does', () => {
    const bin = Buffer.from([0x30, 0x82, 0xff, 0x00, 0x80]);
    const data = { bin: goString(bin), b64: bin.toString('base64') };
    expect(renderTemplate('t', '{{ .bin | b64enc }}', data)).toBe(bin.toString('base64'));
    expect(goBytes(renderTemplate('t', '{{ .b64 | b64dec }}', data))).toEqual(Uint8Array.from(bin));
    expect(renderTemplate('t', '{{ .bin | sha256sum }}', data)).toBe(
      createHash('sha256').update(bin).digest('hex'),
    );
  });
});
