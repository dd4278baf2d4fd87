// The SSHKey generator, with ESO's outputs: `privateKey` in OpenSSH's own format
// (-----BEGIN OPENSSH PRIVATE KEY-----, unencrypted, the comment inside) and `publicKey` as an
// authorized_keys line ("<type> <base64>[ <comment>]\n"). node:crypto makes the keys; the
// OpenSSH encoding (PROTOCOL.key in OpenSSH's sources) is written here.
//
// As ESO (Go's crypto): RSA defaults to 2048 bits and refuses fewer than 1024; ECDSA takes the
// curve from keySize (256, 384 or 521) and falls back to P-256 for any other size; ed25519
// ignores keySize.

import { generateKeyPair } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { SSHKeySpec } from '../../api/generators/local.js';
import { ProviderError } from '../errors.js';
import type { RandomSource } from './random.js';

const generate = promisify(generateKeyPair);

const CURVES: Record<number, { name: string; jwk: string; node: string }> = {
  256: { name: 'nistp256', jwk: 'P-256', node: 'prime256v1' },
  384: { name: 'nistp384', jwk: 'P-384', node: 'secp384r1' },
  521: { name: 'nistp521', jwk: 'P-521', node: 'secp521r1' },
};

/** The SSH wire format: uint32 lengths, strings and mpints (RFC 4251 section 5). */
class Wire {
  private readonly parts: Uint8Array[] = [];

  uint32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n >>> 0);
    this.parts.push(b);
    return this;
  }

  string(s: string | Uint8Array): this {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    this.uint32(b.length);
    this.parts.push(b);
    return this;
  }

  /** A non-negative integer, big-endian, minimal, with a zero byte where the top bit is set. */
  mpint(magnitude: Uint8Array): this {
    let i = 0;
    while (i < magnitude.length && magnitude[i] === 0) i++;
    const m = magnitude.subarray(i);
    return this.string(m.length > 0 && m[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
  }

  raw(b: Uint8Array): this {
    this.parts.push(b);
    return this;
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

const b64u = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');

interface Encoded {
  type: string;
  /** The public key blob. */
  pub: Buffer;
  /** The key-specific fields of the private section (after the key type). */
  priv: (w: Wire) => void;
}

function encodeRsa(jwk: JsonWebKey): Encoded {
  const [n, e, d, p, q, qi] = [jwk.n, jwk.e, jwk.d, jwk.p, jwk.q, jwk.qi].map(b64u) as Buffer[];
  return {
    type: 'ssh-rsa',
    pub: new Wire().string('ssh-rsa').mpint(e!).mpint(n!).bytes(),
    priv: (w) => w.mpint(n!).mpint(e!).mpint(d!).mpint(qi!).mpint(p!).mpint(q!),
  };
}

function encodeEcdsa(jwk: JsonWebKey, curve: string): Encoded {
  const type = `ecdsa-sha2-${curve}`;
  const point = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
  return {
    type,
    pub: new Wire().string(type).string(curve).string(point).bytes(),
    priv: (w) => w.string(curve).string(point).mpint(b64u(jwk.d)),
  };
}

function encodeEd25519(jwk: JsonWebKey): Encoded {
  const pub = b64u(jwk.x);
  const seed = b64u(jwk.d);
  return {
    type: 'ssh-ed25519',
    pub: new Wire().string('ssh-ed25519').string(pub).bytes(),
    priv: (w) => w.string(pub).string(Buffer.concat([seed, pub])),
  };
}

/** openssh-key-v1, cipher and KDF "none", one key, padded to 8 bytes. */
export function openSshPrivateKey(k: Encoded, comment: string, checkint: number): string {
  const priv = new Wire().uint32(checkint).uint32(checkint).string(k.type);
  k.priv(priv);
  priv.string(comment);
  let section = priv.bytes();
  const pad = (8 - (section.length % 8)) % 8;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = new Wire()
    .raw(Buffer.from('openssh-key-v1\0', 'latin1'))
    .string('none')
    .string('none')
    .string('')
    .uint32(1)
    .string(k.pub)
    .string(section)
    .bytes();
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

export function authorizedKey(k: Encoded, comment: string): string {
  return `${k.type} ${k.pub.toString('base64')}${comment ? ` ${comment}` : ''}\n`;
}

async function makeKey(spec: SSHKeySpec): Promise<Encoded> {
  const type = spec.keyType || 'rsa';
  const jwkOf = (pair: { privateKey: KeyObject }) => pair.privateKey.export({ format: 'jwk' });
  if (type === 'rsa') {
    const bits = spec.keySize ?? 2048;
    if (bits < 1024)
      throw new ProviderError(
        'InvalidProviderConfig',
        `spec.keySize ${bits}: RSA keys need at least 1024 bits`,
      );
    return encodeRsa(jwkOf(await generate('rsa', { modulusLength: bits, publicExponent: 0x10001 })));
  }
  if (type === 'ecdsa') {
    const curve = CURVES[spec.keySize ?? 256] ?? CURVES[256]!;
    return encodeEcdsa(jwkOf(await generate('ec', { namedCurve: curve.node })), curve.name);
  }
  if (type === 'ed25519') return encodeEd25519(jwkOf(await generate('ed25519')));
  throw new ProviderError('InvalidProviderConfig', `spec.keyType "${type}" must be rsa, ecdsa or ed25519`);
}

export async function generateSshKey(
  spec: SSHKeySpec,
  rnd: RandomSource,
): Promise<Record<string, Uint8Array>> {
  const key = await makeKey(spec);
  const comment = spec.comment ?? '';
  const checkint = Buffer.from(rnd.bytes(4)).readUInt32BE(0);
  return {
    privateKey: new Uint8Array(Buffer.from(openSshPrivateKey(key, comment, checkint))),
    publicKey: new Uint8Array(Buffer.from(authorizedKey(key, comment))),
  };
}
