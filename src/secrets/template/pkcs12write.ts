// Writing PKCS#12 as ESO does, with go-pkcs12's Modern (2023) encoder: certificates in a safe
// encrypted with PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, 2048 rounds), the key as a PBES2-shrouded
// PKCS#8 bag, an HMAC-SHA256 MAC. pemToPkcs12 and its siblings write a key and its chain (any
// key type, as in Go); pemTruststoreToPKCS12 a Java trust store, each certificate marked with
// Oracle's trusted-key-usage attribute and named by its subject.

import { createCipheriv, createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { goBytes } from './bytes.js';
import { certFields } from './certs.js';
import {
  TAG,
  derExplicit,
  derInteger,
  derOctets,
  derOid,
  derSequence,
  derSet,
  derString,
  readDer,
  tlv,
} from './der.js';
import type { DerNode } from './der.js';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { decodePEM } from './pem.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  certBag: '1.2.840.113549.1.12.10.1.3',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  localKeyId: '1.2.840.113549.1.9.21',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  javaTrustStore: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA256: '1.2.840.113549.2.9',
  aes256CBC: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
};

const ITERATIONS = 2048;

/** UTF-16BE, as PKCS#12 writes passwords and friendly names. */
function bmp(s: string): Buffer {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return b;
}

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
};
// pkix.Name.ToRDNSequence's order of the attributes it knows.
const NAME_ORDER = [
  '2.5.4.6',
  '2.5.4.8',
  '2.5.4.7',
  '2.5.4.9',
  '2.5.4.17',
  '2.5.4.10',
  '2.5.4.11',
  '2.5.4.3',
  '2.5.4.5',
];
const SINGLE = new Set(['2.5.4.3', '2.5.4.5']);

function oidString(n: DerNode): string {
  const b = n.content;
  const parts = [Math.floor(b[0]! / 40), b[0]! % 40];
  let v = 0n;
  for (const x of b.subarray(1)) {
    v = (v << 7n) | BigInt(x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(Number(v));
      v = 0n;
    }
  }
  return parts.join('.');
}

function escapeValue(v: string): string {
  let out = '';
  Array.from(v).forEach((c, k, all) => {
    const esc =
      ',+"\\<>;'.includes(c) || (c === ' ' && (k === 0 || k === all.length - 1)) || (c === '#' && k === 0);
    out += (esc ? '\\' : '') + c;
  });
  return out;
}

/** pkix.Name.String() of a DER subject, as Go builds it from the parsed Name. */
export function subjectString(subject: Buffer): string {
  const known = new Map<string, string[]>();
  const extra: string[] = [];
  for (const rdn of readDer(subject).children()) {
    for (const atv of rdn.children()) {
      const [type, value] = atv.children();
      if (!type || !value) continue;
      const oid = oidString(type);
      const text =
        value.tag === TAG.BMP
          ? Buffer.from(value.content).swap16().toString('utf16le')
          : value.content.toString('utf8');
      if (ATTRIBUTE_NAMES[oid]) {
        const list = known.get(oid) ?? [];
        if (SINGLE.has(oid)) list.length = 0;
        list.push(text);
        known.set(oid, list);
      } else {
        extra.push(`${oid}=#${derString(text).toString('hex')}`);
      }
    }
  }
  const rdns: string[] = [...extra];
  for (const oid of NAME_ORDER) {
    const values = known.get(oid);
    if (values?.length) rdns.push(values.map((v) => `${ATTRIBUTE_NAMES[oid]}=${escapeValue(v)}`).join('+'));
  }
  return rdns.reverse().join(',');
}

/** ESO's parseCaCerts: PEM blocks one after the other; anything else in between is Go's nil-block panic. */
export function parseCaCerts(input: string): Buffer[] {
  const certs: Buffer[] = [];
  let rest = input;
  while (rest.length > 0) {
    const begin = rest.indexOf('-----BEGIN ');
    const block = begin === -1 ? undefined : decodePEM(rest)[0];
    if (!block) throw new ExecFailure('runtime error: invalid memory address or nil pointer dereference');
    try {
      certFields(block.bytes);
    } catch {
      throw new ExecFailure('x509: malformed certificate');
    }
    certs.push(block.bytes);
    rest = rest.slice(block.end ?? rest.length);
  }
  return certs;
}

function makeCertBag(der: Buffer, attributes: Buffer[]): Buffer {
  const bag = derSequence([derOid(OID.x509Certificate), derExplicit(0, derOctets(der))]);
  return derSequence([derOid(OID.certBag), derExplicit(0, bag), derSet(attributes)]);
}

/** A trust store entry: trusted for any purpose, named by its subject. */
function trustedCertBag(der: Buffer): Buffer {
  const name = subjectString(certFields(der).subject);
  return makeCertBag(der, [
    derSequence([derOid(OID.javaTrustStore), derSet([derOid(OID.anyExtendedKeyUsage)])]),
    derSequence([derOid(OID.friendlyName), derSet([tlv(TAG.BMP, bmp(name))])]),
  ]);
}

/** PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) as go-pkcs12 writes it: the AlgorithmIdentifier and the ciphertext. */
function pbes2(plain: Buffer, password: Buffer): { alg: Buffer; encrypted: Buffer } {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(plain), cipher.final()]);
  const kdf = derSequence([
    derOctets(salt),
    derInteger(BigInt(ITERATIONS)),
    derSequence([derOid(OID.hmacWithSHA256)]),
  ]);
  const alg = derSequence([
    derOid(OID.pbes2),
    derSequence([
      derSequence([derOid(OID.pbkdf2), kdf]),
      derSequence([derOid(OID.aes256CBC), derOctets(iv)]),
    ]),
  ]);
  return { alg, encrypted };
}

function encryptSafe(contents: Buffer, password: Buffer): Buffer {
  const { alg, encrypted } = pbes2(contents, password);
  const encryptedData = derSequence([
    derInteger(0n),
    derSequence([derOid(OID.data), alg, tlv(0x80, encrypted)]),
  ]);
  return derSequence([derOid(OID.encryptedData), derExplicit(0, encryptedData)]);
}

function plainSafe(contents: Buffer): Buffer {
  return derSequence([derOid(OID.data), derExplicit(0, derOctets(contents))]);
}

/** The PKCS#12 key derivation (RFC 7292 appendix B) for the MAC key: SHA-256, ID 3, one block. */
function macKey(password: Buffer, salt: Buffer): Buffer {
  const v = 64;
  const fill = (b: Buffer): Buffer => {
    if (b.length === 0) return b;
    const out = Buffer.alloc(v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length]!;
    return out;
  };
  let a = Buffer.concat([Buffer.alloc(v, 3), fill(salt), fill(password)]);
  for (let i = 0; i < ITERATIONS; i++) a = createHash('sha256').update(a).digest();
  return a;
}

/** The PFX around the safes, with go-pkcs12's HMAC-SHA256 MAC keyed by the BMP password. */
function pfx(safes: Buffer[], password: string): string {
  const authSafe = derSequence(safes);
  const macSalt = randomBytes(16);
  const digest = createHmac('sha256', macKey(Buffer.concat([bmp(password), Buffer.alloc(2)]), macSalt))
    .update(authSafe)
    .digest();
  const macData = derSequence([
    derSequence([derSequence([derOid(OID.sha256)]), derOctets(digest)]),
    derOctets(macSalt),
    derInteger(BigInt(ITERATIONS)),
  ]);
  return derSequence([derInteger(3n), plainSafe(authSafe), macData]).toString('base64');
}

function encodeTrustStore(pem: string, password: string): string {
  const certs = parseCaCerts(pem);
  return pfx([encryptSafe(derSequence(certs.map(trustedCertBag)), Buffer.from(goBytes(password)))], password);
}

/**
 * Modern.Encode: the certificate (localKeyId = its SHA-1) and the CA certificates encrypted, the
 * key as a shrouded PKCS#8 bag with the same localKeyId.
 */
export function encodeKeyBundle(key: KeyObject, cert: Buffer, cas: Buffer[], password: string): string {
  const pw = Buffer.from(goBytes(password));
  const localKeyId = derSequence([
    derOid(OID.localKeyId),
    derSet([derOctets(createHash('sha1').update(cert).digest())]),
  ]);
  const certs = derSequence([makeCertBag(cert, [localKeyId]), ...cas.map((c) => makeCertBag(c, []))]);
  const { alg, encrypted } = pbes2(key.export({ type: 'pkcs8', format: 'der' }), pw);
  const keyBag = derSequence([
    derOid(OID.shroudedKeyBag),
    derExplicit(0, derSequence([alg, derOctets(encrypted)])),
    derSet([localKeyId]),
  ]);
  return pfx([encryptSafe(certs, pw), plainSafe(derSequence([keyBag]))], password);
}

export const TRUSTSTORE_FUNCS: Record<string, FuncDef> = {
  pemTruststoreToPKCS12: { fn: (c) => encodeTrustStore(c as string, ''), params: ['string'] },
  pemTruststoreToPKCS12Pass: {
    fn: (c, p) => encodeTrustStore(c as string, p as string),
    params: ['string', 'string'],
  },
};
