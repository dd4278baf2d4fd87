// ESO's PKCS#12 template functions (runtime/template/v2/pkcs12.go). node-forge reads the
// PKCS#12 containers (decryption, MAC); the keys and certificates inside are handled as raw DER
// by node:crypto, so EC keys and certificates work too, and certificates come out byte for byte
// as stored. Writing is pkcs12write.ts (go-pkcs12's Modern layout).
//
// Template strings hold Go byte strings: a binary value (a .p12 from the provider, or the
// output of b64dec) reaches here with its bytes escaped (see bytes.ts).
// Errors never carry key material nor parser detail that could echo it.

import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type Forge from 'node-forge';
import { goBytes } from './bytes.js';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { certFields, parseKeyDer } from './certs.js';
import { decodePEM, encodePEM } from './pem.js';
import { encodeKeyBundle, parseCaCerts } from './pkcs12write.js';

interface Bundle {
  key?: KeyObject;
  /** DER of the certificate paired with the key, then the others, in bag order. */
  certs: Buffer[];
}

type Pki = typeof Forge.pki & Record<string, unknown>;

let forgeLib: typeof Forge | undefined;

// Loaded on first use: most operators never decode a PKCS#12 bundle, and node-forge's 42
// modules are 1.4 MiB of an idle operator's heap.
function nodeForge(): typeof Forge {
  forgeLib ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return forgeLib;
}

function decodeBundle(input: string, password: string, what: string): Bundle {
  const forge = nodeForge();
  const der = Buffer.from(goBytes(input)).toString('binary');
  let p12: Forge.pkcs12.Pkcs12Pfx;
  // forge parses RSA keys and certificates into its own objects and keeps anything else as
  // ASN.1; with its parsers made to refuse, every bag keeps its ASN.1, which is what is wanted.
  const pki = forge.pki as Pki;
  const keyFromAsn1 = pki.privateKeyFromAsn1;
  const certFromAsn1 = pki.certificateFromAsn1;
  const refuse = (): never => {
    throw new Error('raw');
  };
  pki.privateKeyFromAsn1 = refuse;
  pki.certificateFromAsn1 = refuse;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), false, password);
  } catch (e) {
    const why = e instanceof Error && /password|MAC|mac/.test(e.message) ? ': wrong password?' : '';
    throw new ExecFailure(`${what}: unable to decode pkcs12${password ? ' with password' : ''}${why}`);
  } finally {
    pki.privateKeyFromAsn1 = keyFromAsn1;
    pki.certificateFromAsn1 = certFromAsn1;
  }
  let key: KeyObject | undefined;
  let keyId: string | undefined;
  const certs: { der: Buffer; id?: string }[] = [];
  for (const safe of p12.safeContents) {
    for (const bag of safe.safeBags) {
      const asn1 = (bag as { asn1?: Forge.asn1.Asn1 }).asn1;
      if (!asn1) continue;
      const bytes = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
      const id = bag.attributes?.localKeyId?.[0] as string | undefined;
      if (bag.type === forge.pki.oids.certBag) certs.push({ der: bytes, id });
      else if (
        !key &&
        (bag.type === forge.pki.oids.pkcs8ShroudedKeyBag || bag.type === forge.pki.oids.keyBag)
      ) {
        try {
          key = createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
        } catch {
          throw new ExecFailure(`${what}: unable to parse the private key in the pkcs12 bundle`);
        }
        keyId = id;
      }
    }
  }
  // The certificate paired with the key first: by localKeyId, else by public key.
  let leaf = keyId === undefined ? -1 : certs.findIndex((c) => c.id === keyId);
  if (leaf < 0 && key) {
    const pub = createPublicKeyDer(key);
    leaf = certs.findIndex((c) => {
      try {
        return new X509Certificate(c.der).publicKey.export({ type: 'spki', format: 'der' }).equals(pub);
      } catch {
        return false;
      }
    });
  }
  if (leaf > 0) certs.unshift(...certs.splice(leaf, 1));
  return { key, certs: certs.map((c) => c.der) };
}

function createPublicKeyDer(key: KeyObject): Buffer {
  return createPublicKey(key).export({ type: 'spki', format: 'der' });
}

function pkcs12keyPass(password: string, input: string): string {
  const { key } = decodeBundle(input, password, 'pkcs12keyPass');
  if (!key) throw new ExecFailure('pkcs12keyPass: the pkcs12 bundle holds no private key');
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** ESO orders the chain leaf first, each next one the issuer of the previous; when that fails, bag order. */
function orderChain(certs: Buffer[]): Buffer[] {
  if (certs.length < 2) return certs;
  let parsed: X509Certificate[];
  try {
    parsed = certs.map((c) => new X509Certificate(c));
  } catch {
    return certs;
  }
  const rest = parsed.map((_, i) => i).slice(1);
  const order = [0];
  for (let cur = 0; rest.length > 0;) {
    const next = rest.findIndex((i) => parsed[cur]!.checkIssued(parsed[i]!) && i !== cur);
    if (next < 0) return certs;
    cur = rest.splice(next, 1)[0]!;
    order.push(cur);
  }
  return order.map((i) => certs[i]!);
}

function pkcs12certPass(password: string, input: string): string {
  const { certs } = decodeBundle(input, password, 'pkcs12certPass');
  if (certs.length === 0) throw new ExecFailure('pkcs12certPass: the pkcs12 bundle holds no certificate');
  return orderChain(certs)
    .map((bytes) => encodePEM({ type: 'CERTIFICATE', headers: [], bytes }))
    .join('');
}

/**
 * ESO's pemToPkcs12 family: the first PEM block of `cert` is the certificate (with the chain, the
 * blocks after it are its CA certificates), the first block of `key` the key in any form Go reads;
 * written as go-pkcs12's Modern encoder does, base64. A missing block is Go's nil dereference.
 */
function encode(certPem: string, keyPem: string, password: string, withChain: boolean): string {
  const nilBlock = (): never => {
    throw new ExecFailure('runtime error: invalid memory address or nil pointer dereference');
  };
  const first = decodePEM(certPem)[0] ?? nilBlock();
  try {
    certFields(first.bytes);
  } catch {
    throw new ExecFailure('x509: malformed certificate');
  }
  const cas = withChain ? parseCaCerts(certPem.slice(first.end ?? certPem.length)) : [];
  const keyBlock = decodePEM(keyPem)[0] ?? nilBlock();
  const key = parseKeyDer(keyBlock.bytes);
  if (!key) throw new ExecFailure('unable to parse private key type');
  return encodeKeyBundle(key, first.bytes, cas, password);
}

const S = 'string' as const;

export const PKCS12_FUNCS: Record<string, FuncDef> = {
  pkcs12key: { fn: (input) => pkcs12keyPass('', input as string), params: [S] },
  pkcs12keyPass: { fn: (p, input) => pkcs12keyPass(p as string, input as string), params: [S, S] },
  pkcs12cert: { fn: (input) => pkcs12certPass('', input as string), params: [S] },
  pkcs12certPass: { fn: (p, input) => pkcs12certPass(p as string, input as string), params: [S, S] },
  pemToPkcs12: { fn: (c, k) => encode(c as string, k as string, '', false), params: [S, S] },
  pemToPkcs12Pass: {
    fn: (c, k, p) => encode(c as string, k as string, p as string, false),
    params: [S, S, S],
  },
  fullPemToPkcs12: {
    fn: (c, k) => encode(c as string, k as string, '', true),
    params: [S, S],
  },
  fullPemToPkcs12Pass: {
    fn: (c, k, p) => encode(c as string, k as string, p as string, true),
    params: [S, S, S],
  },
};
