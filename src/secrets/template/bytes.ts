// Go strings are byte strings; JavaScript strings are UTF-16. Secret values are often binary
// (a PKCS#12 bundle, a keystore), and Go templates pass such bytes through untouched:
// `{{ .keystore | b64enc }}`, `{{ .p12 | b64dec | pkcs12key }}`, `{{ .bin }}`.
// So values cross into templates the way Python's "surrogateescape" does it: valid UTF-8 becomes
// text, every byte of an invalid sequence becomes a lone surrogate U+DC80..U+DCFF (which decoded
// text never contains), and the way back turns those surrogates into the original bytes. Text
// stays text; bytes survive.

const strict = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function seqLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const c1 = b[i + 1] ?? 0;
    // No overlongs (E0 80..9F) and no UTF-16 surrogates (ED A0..BF).
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f)) return 0;
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const c1 = b[i + 1] ?? 0;
    if ((c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** Go's string(bytes) as a JavaScript string (see above). */
export function goString(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    // not UTF-8: decode sequence by sequence
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i]!;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    const n = seqLength(bytes, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + c);
      i++;
    } else {
      out += strict.decode(bytes.subarray(i, i + n));
      i += n;
    }
  }
  return out;
}

// A low surrogate U+DC80..U+DCFF that is not the second half of a pair.
const ESCAPED = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** The bytes of a template string: UTF-8, with escaped bytes (see goString) restored. */
export function goBytes(s: string): Uint8Array {
  if (!ESCAPED.test(s)) return encoder.encode(s);
  const parts: number[] = [];
  let start = 0;
  const flush = (end: number) => {
    if (end > start) for (const b of encoder.encode(s.slice(start, end))) parts.push(b);
  };
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      continue;
    }
    if (u >= 0xdc80 && u <= 0xdcff) {
      flush(i);
      parts.push(u - 0xdc00);
      start = i + 1;
    }
  }
  flush(s.length);
  return Uint8Array.from(parts);
}
