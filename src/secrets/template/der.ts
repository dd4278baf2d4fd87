// The little DER that certificates and key files need, written and read as encoding/asn1
// does it (minimal lengths, minimal two's-complement integers). For building certificates
// the way Go's x509.CreateCertificate lays them out, and for reading a few fields back.

import { ExecFailure } from './errors.js';

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8: 0x0c,
  PRINTABLE: 0x13,
  IA5: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export function tlv(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

export const derSequence = (items: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));
export const derSet = (items: Uint8Array[]): Buffer => tlv(TAG.SET, Buffer.concat(items));
export const derOctets = (b: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, b);
export const derNull = (): Buffer => Buffer.from([TAG.NULL, 0]);
export const derBool = (v: boolean): Buffer => Buffer.from([TAG.BOOLEAN, 1, v ? 0xff : 0]);
/** [n] EXPLICIT (constructed context tag). */
export const derExplicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);

export function derInteger(v: bigint): Buffer {
  if (v === 0n) return Buffer.from([TAG.INTEGER, 1, 0]);
  const bytes: number[] = [];
  if (v > 0n) {
    for (let x = v; x > 0n; x >>= 8n) bytes.unshift(Number(x & 0xffn));
    if (bytes[0]! & 0x80) bytes.unshift(0);
  } else {
    let x = v;
    for (;;) {
      bytes.unshift(Number(x & 0xffn));
      x >>= 8n;
      if (x === -1n && bytes[0]! & 0x80) break;
    }
  }
  return tlv(TAG.INTEGER, Buffer.from(bytes));
}

export function derBitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unusedBits]), bytes]));
}

export function derOid(oid: string): Buffer {
  const parts = oid.split('.').map((p) => BigInt(p));
  const out: number[] = [Number(parts[0]! * 40n + parts[1]!)];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift(Number(v & 0x7fn) | (chunk.length ? 0x80 : 0));
      v >>= 7n;
    } while (v > 0n);
    out.push(...chunk);
  }
  return tlv(TAG.OID, Buffer.from(out));
}

/** encoding/asn1's choice for a Go string: PrintableString when it can be, else UTF8String. */
export function derString(s: string): Buffer {
  const printable = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(s);
  return tlv(printable ? TAG.PRINTABLE : TAG.UTF8, Buffer.from(s, 'utf8'));
}

/** UTCTime for 1950..2049, GeneralizedTime otherwise (RFC 5280, as Go marshals validity). */
export function derTime(unixSec: number): Buffer {
  const d = new Date(unixSec * 1000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const year = d.getUTCFullYear();
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, Buffer.from(p(year % 100) + rest));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(p(year, 4) + rest));
}

export class DerNode {
  constructor(
    readonly tag: number,
    readonly content: Buffer,
    /** The whole encoding, tag and length included. */
    readonly raw: Buffer,
  ) {}

  children(): DerNode[] {
    const out: DerNode[] = [];
    for (let off = 0; off < this.content.length;) {
      const n = readDer(this.content.subarray(off), true);
      out.push(n);
      off += n.raw.length;
    }
    return out;
  }

  integer(): bigint {
    if (this.tag !== TAG.INTEGER || this.content.length === 0)
      throw new ExecFailure('asn1: expected an integer');
    let v = 0n;
    for (const b of this.content) v = (v << 8n) | BigInt(b);
    if (this.content[0]! & 0x80) v -= 1n << BigInt(this.content.length * 8);
    return v;
  }
}

/** One TLV from the front of buf; with `prefix` false, trailing bytes are an error. */
export function readDer(buf: Uint8Array, prefix = false): DerNode {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (): never => {
    throw new ExecFailure('asn1: structure error');
  };
  if (b.length < 2) fail();
  const tag = b[0]!;
  let len = b[1]!;
  let off = 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || b.length < 2 + n) fail();
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[2 + i]!;
    off += n;
  }
  if (off + len > b.length || (!prefix && off + len !== b.length)) fail();
  return new DerNode(tag, b.subarray(off, off + len), b.subarray(0, off + len));
}
