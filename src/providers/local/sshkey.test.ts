// The OpenSSH encodings, read back by a parser written here from PROTOCOL.key and checked with
// node:crypto (the private key signs, the public key verifies), and by ssh-keygen where present.

import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSshKey } from './sshkey.js';
import { seededRandom } from './testing.js';

const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b);

class Reader {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  uint32(): number {
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  string(): Buffer {
    const n = this.uint32();
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  rest(): Buffer {
    return this.b.subarray(this.at);
  }
}

const u = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i).toString('base64url');
};

const CURVE: Record<string, { crv: string; size: number }> = {
  nistp256: { crv: 'P-256', size: 32 },
  nistp384: { crv: 'P-384', size: 48 },
  nistp521: { crv: 'P-521', size: 66 },
};

/** The private key as a JWK, the comment, and the public blob, from an OpenSSH private key. */
function parsePrivate(pem: string): { jwk: JsonWebKey; comment: string; pub: Buffer; type: string } {
  const lines = pem.trim().split('\n');
  expect(lines[0]).toBe('-----BEGIN OPENSSH PRIVATE KEY-----');
  expect(lines.at(-1)).toBe('-----END OPENSSH PRIVATE KEY-----');
  for (const l of lines.slice(1, -2)) expect(l).toHaveLength(64);
  const raw = Buffer.from(lines.slice(1, -1).join(''), 'base64');
  const magic = 'openssh-key-v1\0';
  expect(raw.subarray(0, magic.length).toString('latin1')).toBe(magic);
  const r = new Reader(raw.subarray(magic.length));
  expect(r.string().toString()).toBe('none');
  expect(r.string().toString()).toBe('none');
  expect(r.string()).toHaveLength(0);
  expect(r.uint32()).toBe(1);
  const pub = r.string();
  const section = r.string();
  expect(section.length % 8).toBe(0);
  const p = new Reader(section);
  expect(p.uint32()).toBe(p.uint32());
  const type = p.string().toString();
  let jwk: JsonWebKey;
  if (type === 'ssh-rsa') {
    const [n, e, d, qi, pp, q] = [p.string(), p.string(), p.string(), p.string(), p.string(), p.string()];
    const big = (b: Buffer) => BigInt(`0x${b.toString('hex') || '0'}`);
    const dp = big(d) % (big(pp) - 1n);
    const dq = big(d) % (big(q) - 1n);
    const hex = (x: bigint) => {
      const h = x.toString(16);
      return Buffer.from(h.length % 2 ? `0${h}` : h, 'hex');
    };
    jwk = {
      kty: 'RSA',
      n: u(n),
      e: u(e),
      d: u(d),
      p: u(pp),
      q: u(q),
      qi: u(qi),
      dp: u(hex(dp)),
      dq: u(hex(dq)),
    };
  } else if (type === 'ssh-ed25519') {
    const pubKey = p.string();
    const priv = p.string();
    expect(priv.subarray(32)).toEqual(pubKey);
    jwk = {
      kty: 'OKP',
      crv: 'Ed25519',
      x: pubKey.toString('base64url'),
      d: priv.subarray(0, 32).toString('base64url'),
    };
  } else {
    const curve = CURVE[p.string().toString()]!;
    const point = p.string();
    expect(point[0]).toBe(4);
    const d = p.string();
    const pad = (b: Buffer) =>
      Buffer.concat([
        Buffer.alloc(Math.max(0, curve.size - b.length)),
        b.subarray(Math.max(0, b.length - curve.size)),
      ]);
    jwk = {
      kty: 'EC',
      crv: curve.crv,
      x: point.subarray(1, 1 + curve.size).toString('base64url'),
      y: point.subarray(1 + curve.size).toString('base64url'),
      d: pad(d).toString('base64url'),
    };
  }
  const comment = p.string().toString();
  const padding = p.rest();
  expect([...padding]).toEqual(Array.from({ length: padding.length }, (_, i) => i + 1));
  return { jwk, comment, pub, type };
}

function signsAndVerifies(jwk: JsonWebKey, publicLine: string, type: string): void {
  const priv = createPrivateKey({ key: jwk, format: 'jwk' });
  const derived = createPublicKey(priv).export({ format: 'jwk' });
  const msg = Buffer.from('syncret');
  const alg = type === 'ssh-ed25519' ? null : 'sha256';
  const sig = sign(alg, msg, priv);
  expect(verify(alg, msg, createPublicKey({ key: derived, format: 'jwk' }), sig)).toBe(true);
  // The authorized_keys blob carries the same public key.
  const blob = Buffer.from(publicLine.split(' ')[1]!, 'base64');
  const r = new Reader(blob);
  expect(r.string().toString()).toBe(type);
  if (type === 'ssh-rsa') {
    expect(u(r.string())).toBe(derived.e);
    expect(u(r.string())).toBe(derived.n);
  } else if (type === 'ssh-ed25519') {
    expect(r.string().toString('base64url')).toBe(derived.x);
  } else {
    r.string();
    const point = r.string();
    expect(point.subarray(1).toString('base64url')).toBe(
      Buffer.concat([Buffer.from(derived.x!, 'base64url'), Buffer.from(derived.y!, 'base64url')]).toString(
        'base64url',
      ),
    );
  }
}

const sshKeygen = ['/usr/bin/ssh-keygen', '/bin/ssh-keygen'].find((p) => existsSync(p));

describe('generateSshKey', () => {
  it.each([
    ['rsa', undefined, 'ssh-rsa', 2048],
    ['rsa', 3072, 'ssh-rsa', 3072],
    ['ecdsa', undefined, 'ecdsa-sha2-nistp256', 0],
    ['ecdsa', 384, 'ecdsa-sha2-nistp384', 0],
    ['ecdsa', 521, 'ecdsa-sha2-nistp521', 0],
    ['ecdsa', 1024, 'ecdsa-sha2-nistp256', 0],
    ['ed25519', 4096, 'ssh-ed25519', 0],
  ] as const)('%s %s gives an OpenSSH key pair of type %s', async (keyType, keySize, type, bits) => {
    const out = await generateSshKey({ keyType, keySize, comment: 'ops@example' }, seededRandom(1));
    expect(Object.keys(out).sort()).toEqual(['privateKey', 'publicKey']);
    const pub = dec(out.publicKey);
    expect(pub).toMatch(new RegExp(`^${type} [A-Za-z0-9+/]+=* ops@example\\n$`));
    const parsed = parsePrivate(dec(out.privateKey));
    expect(parsed.type).toBe(type);
    expect(parsed.comment).toBe('ops@example');
    expect(parsed.pub.toString('base64')).toBe(pub.split(' ')[1]);
    if (bits) expect(Buffer.from(parsed.jwk.n!, 'base64url').length * 8).toBe(bits);
    signsAndVerifies(parsed.jwk, pub, type);
  });

  it('defaults to rsa, writes no comment when none is given, and refuses small RSA keys', async () => {
    const out = await generateSshKey({}, seededRandom(2));
    expect(dec(out.publicKey)).toMatch(/^ssh-rsa [A-Za-z0-9+/]+=*\n$/);
    expect(parsePrivate(dec(out.privateKey)).comment).toBe('');
    await expect(generateSshKey({ keyType: 'rsa', keySize: 512 }, seededRandom(2))).rejects.toThrow(
      /at least 1024/,
    );
  });

  (sshKeygen ? it : it.skip)('is read by ssh-keygen, which derives the same public key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sshkey-'));
    try {
      for (const keyType of ['rsa', 'ecdsa', 'ed25519'] as const) {
        const out = await generateSshKey({ keyType, comment: 'c' }, seededRandom(3));
        const file = join(dir, keyType);
        writeFileSync(file, out.privateKey!, { mode: 0o600 });
        const derived = execFileSync(sshKeygen!, ['-y', '-f', file], { encoding: 'utf8' });
        expect(derived.trim().split(' ').slice(0, 2)).toEqual(dec(out.publicKey).split(' ').slice(0, 2));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
