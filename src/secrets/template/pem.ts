// ESO's key-material helpers. PEM filtering is text work and JWK conversion is node:crypto;
// PKCS#12 lives in pkcs12.ts.
// Errors never carry key material or parser detail that could echo it.

import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';

interface PemBlock {
  type: string;
  headers: [string, string][];
  bytes: Buffer;
  /** Offset just past the block's END line (and its line break) in the decoded input. */
  end?: number;
}

const BEGIN = /^-----BEGIN ([^\r\n]*?)-----\r?$/gm;

/** encoding/pem's Decode over the whole input: every well-formed block, in order. */
export function decodePEM(input: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(input); m; m = BEGIN.exec(input)) {
    const type = m[1] ?? '';
    const endMarker = `-----END ${type}-----`;
    const bodyStart = m.index + m[0].length + 1;
    const end = input.indexOf(endMarker, bodyStart);
    if (end === -1) continue;
    const lines = input.slice(bodyStart, end).split(/\r?\n/);
    const headers: [string, string][] = [];
    let i = 0;
    if (lines.some((l) => l.includes(':'))) {
      for (; i < lines.length && (lines[i] ?? '') !== ''; i++) {
        const line = lines[i] ?? '';
        const colon = line.indexOf(':');
        if (colon === -1) break;
        headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
      }
    }
    const body = lines.slice(i).join('').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) continue;
    let after = end + endMarker.length;
    if (input[after] === '\r') after++;
    if (input[after] === '\n') after++;
    blocks.push({ type, headers, bytes: Buffer.from(body, 'base64'), end: after });
    BEGIN.lastIndex = end + endMarker.length;
  }
  return blocks;
}

/** encoding/pem's Encode: headers sorted (Proc-Type first), 64-column base64. */
export function encodePEM(block: PemBlock): string {
  let out = `-----BEGIN ${block.type}-----\n`;
  if (block.headers.length) {
    const sorted = [...block.headers].sort(([a], [b]) =>
      a === 'Proc-Type' ? -1 : b === 'Proc-Type' ? 1 : a < b ? -1 : a > b ? 1 : 0,
    );
    for (const [k, v] of sorted) out += `${k}: ${v}\n`;
    out += '\n';
  }
  const b64 = block.bytes.toString('base64');
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${block.type}-----\n`;
}

/**
 * ESO 2.9's filterPEM: from the first BEGIN line on, every block whose type matches (ignoring
 * case), re-encoded; junk is an error only when no block matched.
 */
export function filterPEM(pemType: string, input: string): string {
  const begin = input.indexOf('-----BEGIN');
  const text = begin === -1 ? input : input.slice(begin);
  const blocks = decodePEM(text);
  const kept = blocks.filter((b) => b.type.toLowerCase() === pemType.toLowerCase());
  const rest = text.slice(blocks[blocks.length - 1]?.end ?? 0);
  if (kept.length === 0 && rest.length !== 0) throw new ExecFailure('error filtering pem: found junk');
  return kept.map(encodePEM).join('');
}

function parseJWK(text: string): JsonWebKey {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new ExecFailure('failed to parse JWK: invalid JSON');
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new ExecFailure('failed to parse JWK: not a JSON object');
  }
  return jwk as JsonWebKey;
}

export function jwkPublicKeyPem(text: string): string {
  const jwk = parseJWK(text);
  try {
    return createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  } catch {
    throw new ExecFailure(`failed to convert JWK (kty ${String(jwk.kty)}) to a public key`);
  }
}

export function jwkPrivateKeyPem(text: string): string {
  const jwk = parseJWK(text);
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw new ExecFailure(`failed to convert JWK (kty ${String(jwk.kty)}) to a private key`);
  }
}

export const PEM_FUNCS: Record<string, FuncDef> = {
  filterPEM: { fn: (t, s) => filterPEM(t as string, s as string), params: ['string', 'string'] },
  jwkPublicKeyPem: { fn: (s) => jwkPublicKeyPem(s as string), params: ['string'] },
  jwkPrivateKeyPem: { fn: (s) => jwkPrivateKeyPem(s as string), params: ['string'] },
};
