// Sprig's certificate functions (genCA, genSelfSignedCert, genSignedCert, their *WithKey forms,
// buildCustomCert). Certificates are laid out as Go's x509.CreateCertificate lays them out
// (extension order, SubjectKeyId from SHA-256 on CAs, AuthorityKeyId from the issuer) and signed
// with node:crypto, so RSA, ECDSA and Ed25519 keys all work as they do in Go.

import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { keyPEM, pemOf, stdBase64 } from './crypto.js';
import {
  TAG,
  derBitString,
  derBool,
  derExplicit,
  derInteger,
  derOctets,
  derOid,
  derSequence,
  derSet,
  derString,
  derTime,
  readDer,
  tlv,
} from './der.js';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { now } from './gotime.js';
import { newKey } from './keys.js';
import { decodePEM } from './pem.js';
import { GoObject, isMap, typeName } from './value.js';

/** Sprig's certificate struct: {{ $ca.Cert }} and {{ $ca.Key }}. */
export class Certificate extends GoObject {
  readonly goType = 'sprig.certificate';
  readonly goKind = 'struct';
  constructor(
    readonly cert: string,
    readonly key: string,
  ) {
    super();
  }
  format(): string {
    return `{${this.cert} ${this.key}}`;
  }
  toJSON(): unknown {
    return { Cert: this.cert, Key: this.key };
  }
  override field(name: string): { ok: boolean; value?: unknown } {
    if (name === 'Cert') return { ok: true, value: this.cert };
    if (name === 'Key') return { ok: true, value: this.key };
    return { ok: false };
  }
}

// ---- keys ----

/** ESO's parsePrivateKey: PKCS#1, then PKCS#8, then SEC1; undefined when none reads it. */
export function parseKeyDer(der: Buffer): KeyObject | undefined {
  for (const type of ['pkcs1', 'pkcs8', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/** Sprig's parsePrivateKeyPEM: the first PEM block, by its type. */
export function parsePrivateKeyPEM(text: string): KeyObject {
  const block = decodePEM(text)[0];
  if (!block) throw new ExecFailure('no PEM data in input');
  const parse = (type: 'pkcs1' | 'pkcs8' | 'sec1', what: string): KeyObject => {
    try {
      return createPrivateKey({ key: block.bytes, format: 'der', type });
    } catch {
      throw new ExecFailure(what);
    }
  };
  if (block.type === 'PRIVATE KEY') return parse('pkcs8', 'decoding PEM as PKCS#8: malformed key');
  if (!block.type.endsWith(' PRIVATE KEY'))
    throw new ExecFailure(`no private key data in PEM block of type ${block.type}`);
  switch (block.type.slice(0, -12)) {
    case 'RSA':
      return parse('pkcs1', 'parsing RSA private key from PEM: malformed key');
    case 'EC':
      return parse('sec1', 'parsing EC private key from PEM: malformed key');
    case 'DSA':
      try {
        return createPrivateKey({ key: pemOf('DSA PRIVATE KEY', block.bytes), format: 'pem' });
      } catch {
        throw new ExecFailure('parsing DSA private key from PEM: malformed key');
      }
    default:
      throw new ExecFailure(`invalid private key type ${block.type}`);
  }
}

function signingAlgorithm(key: KeyObject): { oid: string; params: boolean; hash: string | null } {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return { oid: '1.2.840.113549.1.1.11', params: true, hash: 'sha256' };
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return { oid: '1.2.840.10045.4.3.3', params: false, hash: 'sha384' };
      if (curve === 'secp521r1') return { oid: '1.2.840.10045.4.3.4', params: false, hash: 'sha512' };
      return { oid: '1.2.840.10045.4.3.2', params: false, hash: 'sha256' };
    }
    case 'ed25519':
      return { oid: '1.3.101.112', params: false, hash: null };
    default:
      throw new ExecFailure(
        'error creating certificate: x509: certificate private key does not implement crypto.Signer',
      );
  }
}

// ---- names and addresses ----

function subjectDer(cn: string): Buffer {
  if (cn === '') return derSequence([]);
  return derSequence([derSet([derSequence([derOid('2.5.4.3'), derString(cn)])])]);
}

/** net.ParseIP, as the bytes x509 writes (To4 where it can). */
function ipBytes(ip: string): Buffer | undefined {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tail: number[] = [];
  if (v4) {
    tail = (v4[1] ?? '').split('.').map(Number);
    text = text.slice(0, -(v4[1] ?? '').length) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const h = head ? head.split(':') : [];
  const r = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups = [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  if (v4) tail.forEach((b, i) => (bytes[12 + i] = b));
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.subarray(12) : bytes;
}

function listArg(v: unknown, what: string): unknown[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v;
  throw new ExecFailure(`wrong type for value; expected []interface {}; got ${typeName(v)} (${what})`);
}

function sanDer(ips: Buffer[], dns: string[]): Buffer | undefined {
  if (ips.length === 0 && dns.length === 0) return undefined;
  const names: Buffer[] = [];
  for (const d of dns) {
    if (Array.from(d).some((c) => c.charCodeAt(0) > 0x7f))
      throw new ExecFailure('error creating certificate: x509: a DNS name cannot be encoded as an IA5String');
    names.push(tlv(0x82, Buffer.from(d, 'latin1')));
  }
  for (const ip of ips) names.push(tlv(0x87, ip));
  return derSequence(names);
}

// ---- certificate creation ----

interface Template {
  cn: string;
  ips: unknown;
  dns: unknown;
  days: number;
  ca: boolean;
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return derSequence([derOid(oid), ...(critical ? [derBool(true)] : []), derOctets(value)]);
}

/** Extension values in Go's buildCertExtensions order. */
function extensions(
  t: Template,
  subjectEmpty: boolean,
  ski: Buffer | undefined,
  aki: Buffer | undefined,
  san: Buffer | undefined,
): Buffer {
  // KeyEncipherment|DigitalSignature (and CertSign on a CA), bit-reversed as a BIT STRING.
  const keyUsage = t.ca ? derBitString(Buffer.from([0xa4]), 2) : derBitString(Buffer.from([0xa0]), 5);
  const exts = [
    extension('2.5.29.15', true, keyUsage),
    extension('2.5.29.37', false, derSequence([derOid('1.3.6.1.5.5.7.3.1'), derOid('1.3.6.1.5.5.7.3.2')])),
    extension('2.5.29.19', true, derSequence(t.ca ? [derBool(true)] : [])),
  ];
  if (ski) exts.push(extension('2.5.29.14', false, derOctets(ski)));
  if (aki) exts.push(extension('2.5.29.35', false, derSequence([tlv(0x80, aki)])));
  if (san) exts.push(extension('2.5.29.17', subjectEmpty, san));
  return derExplicit(3, derSequence(exts));
}

interface Issuer {
  subject: Buffer;
  ski?: Buffer;
  key: KeyObject;
  publicKey: Buffer;
}

/** x509.CreateCertificate(template, parent, pub, signer), PEM-encoded with the signee's key. */
function createCertificate(t: Template, signee: KeyObject, issuer: Issuer | undefined): Certificate {
  const ips = listArg(t.ips, 'ips').map((ip) => {
    if (typeof ip !== 'string') throw new ExecFailure('error parsing ip: not a string');
    const b = ipBytes(ip);
    if (!b) throw new ExecFailure('error parsing ip: not an IP address');
    return b;
  });
  const dns = listArg(t.dns, 'alternateDNS').map((d) => {
    if (typeof d !== 'string') throw new ExecFailure('error processing alternate dns name: not a string');
    return d;
  });
  const signer = issuer?.key ?? signee;
  // Go checks the signer first, then the public key it certifies.
  const alg = signingAlgorithm(signer);
  if (!['rsa', 'ec', 'ed25519'].includes(signee.asymmetricKeyType ?? '')) {
    throw new ExecFailure(
      `error creating certificate: x509: unsupported public key type: *${signee.asymmetricKeyType}.PublicKey`,
    );
  }
  const spki = createPublicKey(signee).export({ type: 'spki', format: 'der' });
  const subject = subjectDer(t.cn);
  if (issuer && !createPublicKey(signer).export({ type: 'spki', format: 'der' }).equals(issuer.publicKey)) {
    throw new ExecFailure(
      "error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey",
    );
  }
  const publicKeyBits = readDer(spki).children()[1]?.content.subarray(1) ?? Buffer.alloc(0);
  const ski = t.ca ? createHash('sha256').update(publicKeyBits).digest().subarray(0, 20) : undefined;
  const issuerName = issuer?.subject ?? subject;
  const aki = issuer?.ski && !issuerName.equals(subject) ? issuer.ski : undefined;
  const { sec } = now();
  const algId = derSequence([derOid(alg.oid), ...(alg.params ? [tlv(TAG.NULL, Buffer.alloc(0))] : [])]);
  const tbs = derSequence([
    derExplicit(0, derInteger(2n)),
    derInteger(BigInt('0x' + randomBytes(16).toString('hex'))),
    algId,
    issuerName,
    derSequence([derTime(sec), derTime(sec + t.days * 86400)]),
    subject,
    spki,
    extensions(t, t.cn === '', ski, aki, sanDer(ips, dns)),
  ]);
  const signature = sign(alg.hash, tbs, signer);
  const der = derSequence([tbs, algId, derBitString(signature)]);
  return new Certificate(pemOf('CERTIFICATE', der), keyPEM(signee));
}

function newRsaKey(): KeyObject {
  return newKey('rsa2048');
}

function keyArg(pem: string): KeyObject {
  try {
    return parsePrivateKeyPEM(pem);
  } catch (e) {
    throw new ExecFailure(`parsing private key: ${e instanceof Error ? e.message : 'invalid key'}`);
  }
}

/** The fields of a CA's certificate that signing needs: subject, SubjectKeyId and public key. */
function issuerOf(ca: unknown): Issuer {
  if (!(ca instanceof Certificate)) {
    const got = isMap(ca) ? 'map[string]interface {}' : typeName(ca);
    throw new ExecFailure(`wrong type for value; expected sprig.certificate; got ${got}`);
  }
  const block = decodePEM(ca.cert)[0];
  if (!block) throw new ExecFailure('unable to decode certificate');
  let fields: CertFields;
  try {
    fields = certFields(block.bytes);
  } catch {
    throw new ExecFailure('error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate');
  }
  let key: KeyObject;
  try {
    key = parsePrivateKeyPEM(ca.key);
  } catch (e) {
    throw new ExecFailure(`error parsing private key: ${e instanceof Error ? e.message : 'invalid key'}`);
  }
  return { subject: fields.subject, ski: fields.ski, key, publicKey: fields.spki };
}

export interface CertFields {
  subject: Buffer;
  spki: Buffer;
  ski?: Buffer;
  aki?: Buffer;
  /** The SubjectAltName extension's value. */
  san?: Buffer;
}

/** Subject, public key and key identifiers of a DER certificate (throws when it is not one). */
export function certFields(der: Buffer): CertFields {
  new X509Certificate(der);
  const [tbs] = readDer(der).children();
  const parts = (tbs ?? readDer(der)).children();
  const offset = parts[0]?.tag === 0xa0 ? 1 : 0;
  const fields: CertFields = { subject: parts[4 + offset]!.raw, spki: parts[5 + offset]!.raw };
  const exts =
    parts
      .find((p) => p.tag === 0xa3)
      ?.children()[0]
      ?.children() ?? [];
  for (const ext of exts) {
    const [oid, ...rest] = ext.children();
    const value = rest[rest.length - 1]?.content;
    if (!oid || !value) continue;
    const id = oid.content.toString('hex');
    if (id === '551d0e') fields.ski = readDer(value).content;
    else if (id === '551d23') {
      const keyId = readDer(value)
        .children()
        .find((c) => c.tag === 0x80);
      if (keyId) fields.aki = keyId.content;
    } else if (id === '551d11') fields.san = value;
  }
  return fields;
}

function buildCustomCert(b64cert: string, b64key: string): Certificate {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = stdBase64(b64cert);
  } catch {
    throw new ExecFailure('unable to decode base64 certificate');
  }
  try {
    key = stdBase64(b64key);
  } catch {
    throw new ExecFailure('unable to decode base64 private key');
  }
  const block = decodePEM(cert.toString('latin1'))[0];
  if (!block) throw new ExecFailure('unable to decode certificate');
  try {
    new X509Certificate(block.bytes);
  } catch {
    throw new ExecFailure('error parsing certificate: decodedCert.Bytes: x509: malformed certificate');
  }
  const keyText = key.toString('utf8');
  try {
    parsePrivateKeyPEM(keyText);
  } catch (e) {
    throw new ExecFailure(`error parsing private key: ${e instanceof Error ? e.message : 'invalid key'}`);
  }
  return new Certificate(cert.toString('utf8'), keyText);
}

const S = 'string' as const;
const A = 'any' as const;
const I = 'int' as const;

const tpl = (cn: unknown, ips: unknown, dns: unknown, days: unknown, ca = false): Template => ({
  cn: cn as string,
  ips,
  dns,
  days: days as number,
  ca,
});

export const CERT_FUNCS: Record<string, FuncDef> = {
  genCA: {
    fn: (cn, d) => createCertificate(tpl(cn, null, null, d, true), newRsaKey(), undefined),
    params: [S, I],
  },
  genCAWithKey: {
    fn: (cn, d, k) => createCertificate(tpl(cn, null, null, d, true), keyArg(k as string), undefined),
    params: [S, I, S],
  },
  genSelfSignedCert: {
    fn: (cn, ips, dns, d) => createCertificate(tpl(cn, ips, dns, d), newRsaKey(), undefined),
    params: [S, A, A, I],
  },
  genSelfSignedCertWithKey: {
    fn: (cn, ips, dns, d, k) => createCertificate(tpl(cn, ips, dns, d), keyArg(k as string), undefined),
    params: [S, A, A, I, S],
  },
  genSignedCert: {
    fn: (cn, ips, dns, d, ca) => {
      const issuer = issuerOf(ca);
      return createCertificate(tpl(cn, ips, dns, d), newRsaKey(), issuer);
    },
    params: [S, A, A, I, A],
  },
  genSignedCertWithKey: {
    fn: (cn, ips, dns, d, ca, k) => {
      const issuer = issuerOf(ca);
      return createCertificate(tpl(cn, ips, dns, d), keyArg(k as string), issuer);
    },
    params: [S, A, A, I, A, S],
  },
  buildCustomCert: { fn: (c, k) => buildCustomCert(c as string, k as string), params: [S, S] },
};
