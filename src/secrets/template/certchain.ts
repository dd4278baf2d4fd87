// ESO's own certificate and decryption functions (runtime/template/v2: pem.go, pem_chain.go,
// decrypt.go): filterCertChain orders a bundle leaf → root by key identifiers, certSANs lists
// a certificate's names, rsaDecrypt undoes RSA-OAEP. Messages carry no input.

import { constants, privateDecrypt } from 'node:crypto';
import { goBytes, goString } from './bytes.js';
import { certFields, parseKeyDer } from './certs.js';
import type { CertFields } from './certs.js';
import { readDer } from './der.js';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { decodePEM, encodePEM } from './pem.js';

interface Cert extends CertFields {
  der: Buffer;
}

const sameBytes = (a: Buffer | undefined, b: Buffer | undefined): boolean =>
  (a ?? Buffer.alloc(0)).equals(b ?? Buffer.alloc(0));

/** ESO's pemToNodes: every PEM block must be a certificate. */
function parseCerts(input: string): Cert[] {
  return decodePEM(input).map((b) => {
    try {
      return { ...certFields(b.bytes), der: b.bytes };
    } catch {
      throw new ExecFailure('x509: malformed certificate');
    }
  });
}

/** fetchX509CertChains: leaf first, each next the issuer (by AuthorityKeyId = SubjectKeyId). */
export function orderByKeyIds(certs: Cert[]): Cert[] {
  const parent = new Map<number, number>();
  const isParent = new Set<number>();
  certs.forEach((c, i) => {
    const j = certs.findIndex((o, k) => k !== i && sameBytes(c.aki, o.ski));
    if (j >= 0) {
      isParent.add(j);
      parent.set(i, j);
    }
  });
  let leaf: number | undefined;
  for (let i = 0; i < certs.length; i++) {
    if (isParent.has(i)) continue;
    if (leaf !== undefined) throw new ExecFailure('found multiple leaf or disjunct certificates');
    leaf = i;
  }
  if (leaf === undefined) throw new ExecFailure('no leaf certificate found');
  const chain: Cert[] = [];
  for (let cur: number | undefined = leaf; cur !== undefined; cur = parent.get(cur)) {
    if (chain.length >= certs.length) throw new ExecFailure('constructing chain resulted in cycle');
    chain.push(certs[cur]!);
  }
  return chain;
}

const pemCert = (c: Cert): string => encodePEM({ type: 'CERTIFICATE', headers: [], bytes: c.der });
const isRoot = (c: Cert): boolean => c.aki === undefined || sameBytes(c.aki, c.ski);

function filterCertChain(type: string, input: string): string {
  const ordered = orderByKeyIds(parseCerts(input));
  switch (type) {
    case 'leaf': {
      const leaf = ordered[0]!;
      return leaf.aki !== undefined && !sameBytes(leaf.aki, leaf.ski) ? pemCert(leaf) : '';
    }
    case 'intermediate': {
      let out = '';
      for (const c of ordered.slice(1)) {
        if (isRoot(c)) break;
        out += pemCert(c);
      }
      return out;
    }
    case 'root': {
      const root = ordered[ordered.length - 1]!;
      return isRoot(root) ? pemCert(root) : '';
    }
    default:
      return '';
  }
}

/** net.IP.String: dotted for IPv4 (and v4-mapped IPv6), RFC 5952 for IPv6. */
export function ipString(b: Buffer): string {
  const v4 =
    b.length === 4
      ? b
      : b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff
        ? b.subarray(12)
        : undefined;
  if (v4) return Array.from(v4).join('.');
  if (b.length !== 16) return '?' + b.toString('hex');
  const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** ESO's certSANs: DNS names, then IP addresses, emails and URIs of the first certificate. */
function certSANs(input: string): string[] {
  const start = input.indexOf('-----BEGIN');
  const block = decodePEM(start === -1 ? input : input.slice(start))[0];
  if (!block) throw new ExecFailure('failed to decode PEM block');
  let fields: CertFields;
  try {
    fields = certFields(block.bytes);
  } catch {
    throw new ExecFailure('failed to parse certificate: x509: malformed certificate');
  }
  const byKind: Record<number, string[]> = { 0x82: [], 0x87: [], 0x81: [], 0x86: [] };
  if (fields.san) {
    for (const name of readDer(fields.san).children()) {
      const list = byKind[name.tag];
      if (!list) continue;
      list.push(name.tag === 0x87 ? ipString(name.content) : name.content.toString('latin1'));
    }
  }
  return [...byKind[0x82]!, ...byKind[0x87]!, ...byKind[0x81]!, ...byKind[0x86]!];
}

const OAEP_HASH: Record<string, string> = { SHA1: 'sha1', SHA512: 'sha512' };

/** ESO's rsaDecrypt(scheme, hash, ciphertext, privateKeyPEM). */
function rsaDecrypt(scheme: string, hash: string, input: string, keyPem: string): string {
  if (scheme === 'None') return input;
  if (scheme !== 'RSA-OAEP') throw new ExecFailure(`decryption scheme ${scheme} is not supported`);
  const block = decodePEM(keyPem)[0];
  if (!block) throw new ExecFailure('failed to decode PEM block');
  const key = parseKeyDer(block.bytes);
  if (!key) throw new ExecFailure('could not parse private key: unable to parse private key type');
  if (key.asymmetricKeyType !== 'rsa') throw new ExecFailure('could not parse RSA private key');
  try {
    const out = privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[hash] ?? 'sha256' },
      goBytes(input),
    );
    return goString(out);
  } catch {
    throw new ExecFailure('error decrypting data with RSA: crypto/rsa: decryption error');
  }
}

export const CERTCHAIN_FUNCS: Record<string, FuncDef> = {
  filterCertChain: { fn: (t, s) => filterCertChain(t as string, s as string), params: ['string', 'string'] },
  certSANs: { fn: (s) => certSANs(s as string), params: ['string'] },
  rsaDecrypt: {
    fn: (sch, h, i, k) => rsaDecrypt(sch as string, h as string, i as string, k as string),
    params: ['string', 'string', 'string', 'string'],
  },
};
