// Sprig's crypto and random functions (crypto.go, the rand* string functions): bcrypt and
// htpasswd, derivePassword (Master Password), AES-256-CBC encryptAES/decryptAES, genPrivateKey
// and the random strings. Randomness is node:crypto's CSPRNG everywhere, including the two
// Sprig takes from math/rand (randInt, shuffle). Nothing here puts an input into a message.

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  generateKeyPairSync,
  randomBytes,
  randomInt,
  scryptSync,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { goBytes, goString } from './bytes.js';
import { costly } from './cost.js';
import { derInteger, derSequence, readDer } from './der.js';
import { ExecFailure } from './errors.js';
import type { FuncDef } from './exec.js';
import { newKey } from './keys.js';
import { encodePEM } from './pem.js';

const S = 'string' as const;
const I = 'int' as const;

/** A Secret holds at most 1 MiB: random output beyond that is refused rather than computed. */
export const MAX_RANDOM = 1 << 20;

// ---- random strings ----

const DIGITS = '0123456789';
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
let ASCII = '';
for (let c = 32; c < 127; c++) ASCII += String.fromCharCode(c);

/** goutils' CryptoRandom*: count characters drawn uniformly from the alphabet; "" for count <= 0. */
export function randomString(count: number, alphabet: string): string {
  if (count <= 0) return '';
  if (count > MAX_RANDOM) throw new ExecFailure(`random string length exceeds ${MAX_RANDOM}`);
  let out = '';
  // Rejection sampling over bytes keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  while (out.length < count) {
    for (const b of randomBytes(Math.max(64, (count - out.length) * 2))) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === count) break;
    }
  }
  return out;
}

function randBytes(count: number): string {
  if (count < 0) throw new ExecFailure('runtime error: makeslice: len out of range');
  if (count > MAX_RANDOM) throw new ExecFailure(`randBytes count exceeds ${MAX_RANDOM}`);
  return randomBytes(count).toString('base64');
}

/** Sprig's randInt: min <= n < max (Go panics when max <= min). */
function randInt(min: number, max: number): number {
  if (max - min <= 0) throw new ExecFailure('invalid argument to Intn');
  return randomInt(min, max);
}

/** xstrings.Shuffle: the runes of s in a random order. */
export function shuffle(s: string): string {
  const runes = Array.from(s);
  for (let i = runes.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [runes[i], runes[j]] = [runes[j] as string, runes[i] as string];
  }
  return runes.join('');
}

// ---- bcrypt and htpasswd ----

interface Bcrypt {
  encodeBase64(bytes: Uint8Array, length: number): string;
  hashSync(password: string, salt: string): string;
}

let bcryptLib: Bcrypt | undefined;

// Loaded on first use: most operators never render a bcrypt.
function bcryptjs(): Bcrypt {
  bcryptLib ??= createRequire(import.meta.url)('bcryptjs') as Bcrypt;
  return bcryptLib;
}

/** golang.org/x/crypto/bcrypt.GenerateFromPassword(p, 10): "$2a$10$" and 53 characters. */
function bcrypt(password: string): string {
  const bytes = goBytes(password);
  if (bytes.length > 72)
    return 'failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes';
  const lib = bcryptjs();
  // bcryptjs writes "$2b$" salts; Go writes "$2a$", which hashes the same for these lengths.
  return costly('bcrypt', () =>
    lib.hashSync(Buffer.from(bytes).toString('utf8'), `$2a$10$${lib.encodeBase64(randomBytes(16), 16)}`),
  );
}

function htpasswd(user: string, password: string, algorithm: string): string {
  if (user.includes(':')) return `invalid username: ${user}`;
  if (algorithm === 'sha') {
    return `${user}:{SHA}${createHash('sha1').update(goBytes(password)).digest('base64')}`;
  }
  return `${user}:${bcrypt(password)}`;
}

// ---- derivePassword (the Master Password algorithm) ----

const SEED = 'com.lyndir.masterpassword';

const TEMPLATES: Record<string, string[]> = {
  maximum: ['anoxxxxxxxxxxxxxxxxx', 'axxxxxxxxxxxxxxxxxno'],
  long: [
    'CvcvnoCvcvCvcv',
    'CvcvCvcvnoCvcv',
    'CvcvCvcvCvcvno',
    'CvccnoCvcvCvcv',
    'CvccCvcvnoCvcv',
    'CvccCvcvCvcvno',
    'CvcvnoCvccCvcv',
    'CvcvCvccnoCvcv',
    'CvcvCvccCvcvno',
    'CvcvnoCvcvCvcc',
    'CvcvCvcvnoCvcc',
    'CvcvCvcvCvccno',
    'CvccnoCvccCvcv',
    'CvccCvccnoCvcv',
    'CvccCvccCvcvno',
    'CvcvnoCvccCvcc',
    'CvcvCvccnoCvcc',
    'CvcvCvccCvccno',
    'CvccnoCvcvCvcc',
    'CvccCvcvnoCvcc',
    'CvccCvcvCvccno',
  ],
  medium: ['CvcnoCvc', 'CvcCvcno'],
  short: ['Cvcn'],
  basic: ['aaanaaan', 'aannaaan', 'aaannaaa'],
  pin: ['nnnn'],
};

const CHARACTERS: Record<string, string> = {
  V: 'AEIOU',
  C: 'BCDFGHJKLMNPQRSTVWXYZ',
  v: 'aeiou',
  c: 'bcdfghjklmnpqrstvwxyz',
  A: 'AEIOUBCDFGHJKLMNPQRSTVWXYZ',
  a: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz',
  n: '0123456789',
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()',
};

function be32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function derivePassword(counter: number, type: string, password: string, user: string, site: string): string {
  if (counter < 0 || counter > 0xffffffff) throw new ExecFailure('expected unsigned 32-bit integer counter');
  const templates = TEMPLATES[type];
  if (!templates) return `cannot find password template ${type}`;
  const userBytes = Buffer.from(goBytes(user));
  const salt = Buffer.concat([Buffer.from(SEED), be32(userBytes.length), userBytes]);
  const key = costly('scrypt', () =>
    scryptSync(Buffer.from(goBytes(password)), salt, 64, { N: 32768, r: 8, p: 2, maxmem: 64 << 20 }),
  );
  const siteBytes = Buffer.from(goBytes(site));
  const seed = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(SEED), be32(siteBytes.length), siteBytes, be32(counter)]))
    .digest();
  const template = templates[seed[0]! % templates.length] ?? '';
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const chars = CHARACTERS[template[i]!] ?? '';
    out += chars[seed[i + 1]! % chars.length];
  }
  return out;
}

// ---- AES-256-CBC ----

/** The key Sprig uses: the password's bytes, zero-padded or cut to 32. */
function aesKey(password: string): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(goBytes(password)).copy(key, 0, 0, 32);
  return key;
}

function encryptAES(password: string, plaintext: string): string {
  if (plaintext === '') return '';
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', aesKey(password), iv);
  return Buffer.concat([iv, cipher.update(goBytes(plaintext)), cipher.final()]).toString('base64');
}

/** base64.StdEncoding.DecodeString: padding required, CR and LF ignored. */
export function stdBase64(s: string): Buffer {
  const clean = s.replace(/[\r\n]/g, '');
  const bad = /[^A-Za-z0-9+/=]/.exec(clean);
  if (bad) throw new ExecFailure(`illegal base64 data at input byte ${bad.index}`);
  const pad = clean.indexOf('=');
  if (clean.length % 4 !== 0 || (pad !== -1 && (pad < clean.length - 2 || !/^=+$/.test(clean.slice(pad))))) {
    throw new ExecFailure(
      `illegal base64 data at input byte ${pad === -1 ? clean.length - (clean.length % 4) : pad}`,
    );
  }
  return Buffer.from(clean, 'base64');
}

/** Sprig's decryptAES, with its unchecked unpadding: Go's panics become these errors. */
function decryptAES(password: string, crypt64: string): string {
  if (crypt64 === '') return '';
  const crypt = stdBase64(crypt64);
  if (crypt.length < 16) {
    throw new ExecFailure(`runtime error: slice bounds out of range [:16] with capacity ${crypt.length}`);
  }
  const body = crypt.subarray(16);
  if (body.length % 16 !== 0) throw new ExecFailure('crypto/cipher: input not full blocks');
  if (body.length === 0) throw new ExecFailure('runtime error: index out of range [-1]');
  const decipher = createDecipheriv('aes-256-cbc', aesKey(password), crypt.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(body), decipher.final()]);
  const cut = plain.length - plain[plain.length - 1]!;
  if (cut < 0) {
    throw new ExecFailure(`runtime error: slice bounds out of range [:${cut}]`);
  }
  return goString(plain.subarray(0, cut));
}

// ---- private keys ----

/** encoding/pem for a DER key. */
export function pemOf(type: string, der: Buffer): string {
  return encodePEM({ type, headers: [], bytes: der });
}

/** Sprig's pemBlockForKey: PKCS#1 for RSA, SEC1 for ECDSA, its own DSA form, PKCS#8 otherwise. */
export function keyPEM(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return pemOf('RSA PRIVATE KEY', key.export({ type: 'pkcs1', format: 'der' }));
    case 'ec':
      return pemOf('EC PRIVATE KEY', key.export({ type: 'sec1', format: 'der' }));
    case 'dsa':
      return pemOf('DSA PRIVATE KEY', dsaKeyDer(key));
    default:
      return pemOf('PRIVATE KEY', key.export({ type: 'pkcs8', format: 'der' }));
  }
}

/** SEQUENCE { 0, P, Q, G, Y, X }, the OpenSSL DSA key form Sprig writes, from a PKCS#8 DSA key. */
function dsaKeyDer(key: KeyObject): Buffer {
  const info = readDer(key.export({ type: 'pkcs8', format: 'der' }));
  const [, alg, octets] = info.children();
  const [, params] = (alg ?? info).children();
  const [p, q, g] = (params ?? info).children().map((n) => n.integer());
  const x = readDer((octets ?? info).content).integer();
  const y = modPow(g ?? 0n, x, p ?? 1n);
  return derSequence([0n, p ?? 0n, q ?? 0n, g ?? 0n, y, x].map(derInteger));
}

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  base %= mod;
  for (; exp > 0n; exp >>= 1n) {
    if (exp & 1n) result = (result * base) % mod;
    base = (base * base) % mod;
  }
  return result;
}

export function generateKey(type: string): KeyObject | undefined {
  switch (type) {
    case '':
    case 'rsa':
      return newKey('rsa4096');
    case 'dsa':
      return newKey('dsa');
    case 'ecdsa':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey;
    default:
      return undefined;
  }
}

function genPrivateKey(type: string): string {
  const key = generateKey(type);
  return key ? keyPEM(key) : `Unknown type ${type}`;
}

export const CRYPTO_FUNCS: Record<string, FuncDef> = {
  bcrypt: { fn: (s) => bcrypt(s as string), params: [S] },
  htpasswd: { fn: (u, p, a) => htpasswd(u as string, p as string, a as string), params: [S, S, S] },
  derivePassword: {
    fn: (c, t, p, u, s) => derivePassword(c as number, t as string, p as string, u as string, s as string),
    params: [I, S, S, S, S],
  },
  encryptAES: { fn: (p, s) => encryptAES(p as string, s as string), params: [S, S] },
  decryptAES: { fn: (p, s) => decryptAES(p as string, s as string), params: [S, S] },
  genPrivateKey: { fn: (t) => genPrivateKey(t as string), params: [S] },
  randBytes: { fn: (n) => randBytes(n as number), params: [I] },
  randAlphaNum: { fn: (n) => randomString(n as number, DIGITS + LETTERS), params: [I] },
  randAlpha: { fn: (n) => randomString(n as number, LETTERS), params: [I] },
  randAscii: { fn: (n) => randomString(n as number, ASCII), params: [I] },
  randNumeric: { fn: (n) => randomString(n as number, DIGITS), params: [I] },
  randInt: { fn: (a, b) => randInt(a as number, b as number), params: [I, I] },
  shuffle: { fn: (s) => shuffle(s as string), params: [S] },
};
