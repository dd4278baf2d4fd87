import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { renderTemplate } from './index.js';
import { goString as binaryString } from './bytes.js';

// Bundles made by openssl 3 (its defaults: AES-256 PBES2, SHA-256 MAC), as users make them.
let dir: string;
const files: Record<string, string> = {};
const p12: Record<string, Buffer> = {};
const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'syncret-p12-'));
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    ...subj('ca'),
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', ...subj('leaf'));
  run(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-out',
    'leaf.crt',
    '-days',
    '2',
    '-set_serial',
    '2',
  );
  run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ec.key');
  run('req', '-x509', '-key', 'ec.key', '-out', 'ec.crt', '-days', '2', ...subj('ec'));
  // CA first in the bundle: the leaf must still come out first.
  run(
    'pkcs12',
    '-export',
    '-inkey',
    'leaf.key',
    '-in',
    'leaf.crt',
    '-certfile',
    'ca.crt',
    '-out',
    'chain.p12',
    '-passout',
    'pass:',
  );
  run(
    'pkcs12',
    '-export',
    '-inkey',
    'leaf.key',
    '-in',
    'leaf.crt',
    '-out',
    'pw.p12',
    '-passout',
    'pass:s3cret',
  );
  run('pkcs12', '-export', '-inkey', 'ec.key', '-in', 'ec.crt', '-out', 'ec.p12', '-passout', 'pass:');
  for (const f of ['ca.crt', 'leaf.crt', 'leaf.key', 'ec.key', 'ec.crt'])
    files[f] = readFileSync(join(dir, f), 'utf8');
  for (const f of ['chain', 'pw', 'ec']) p12[f] = readFileSync(join(dir, `${f}.p12`));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const der = (pem: string) => new X509Certificate(pem).raw;
const sameKey = (a: string, b: string) =>
  createPrivateKey(a)
    .export({ type: 'pkcs8', format: 'der' })
    .equals(createPrivateKey(b).export({ type: 'pkcs8', format: 'der' }));

describe('PKCS#12 functions', () => {
  it('pkcs12key and pkcs12cert read a binary bundle: PKCS#8 key, leaf first then its issuer', () => {
    const data = { p12: binaryString(p12.chain!) };
    const key = renderTemplate('k', '{{ .p12 | pkcs12key }}', data);
    expect(key.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
    expect(sameKey(key, files['leaf.key']!)).toBe(true);
    const chain = renderTemplate('c', '{{ .p12 | pkcs12cert }}', data);
    const blocks = chain.split(/(?<=-----END CERTIFICATE-----\n)/);
    expect(blocks.map((b) => der(b))).toEqual([der(files['leaf.crt']!), der(files['ca.crt']!)]);
  });
  it('reads a base64 bundle through b64dec, with a password, and EC keys', () => {
    const data = { p12: p12.pw!.toString('base64'), ec: binaryString(p12.ec!) };
    const key = renderTemplate('k', '{{ .p12 | b64dec | pkcs12keyPass "s3cret" }}', data);
    expect(sameKey(key, files['leaf.key']!)).toBe(true);
    const cert = renderTemplate('c', '{{ .p12 | b64dec | pkcs12certPass "s3cret" }}', data);
    expect(der(cert)).toEqual(der(files['leaf.crt']!));
    expect(sameKey(renderTemplate('e', '{{ .ec | pkcs12key }}', data), files['ec.key']!)).toBe(true);
    expect(der(renderTemplate('e', '{{ .ec | pkcs12cert }}', data))).toEqual(der(files['ec.crt']!));
  });
  it('fails on a wrong password without echoing anything', () => {
    const data = { p12: binaryString(p12.pw!) };
    expect(() => renderTemplate('k', '{{ .p12 | pkcs12keyPass "wrong" }}', data)).toThrow(
      /pkcs12keyPass: unable to decode pkcs12 with password/,
    );
  });
  it('pemToPkcs12 and fullPemToPkcs12 write bundles openssl reads back', () => {
    const data = { crt: files['leaf.crt']! + files['ca.crt']!, key: files['leaf.key']! };
    const full = renderTemplate('f', '{{ fullPemToPkcs12Pass .crt .key "pw" }}', data);
    writeFileSync(join(dir, 'out.p12'), Buffer.from(full, 'base64'));
    const out = run('pkcs12', '-in', 'out.p12', '-passin', 'pass:pw', '-nokeys').toString();
    expect(out.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const keyOut = run('pkcs12', '-in', 'out.p12', '-passin', 'pass:pw', '-nocerts', '-nodes').toString();
    expect(sameKey(keyOut.slice(keyOut.indexOf('-----BEGIN')), files['leaf.key']!)).toBe(true);
    // And round-trips through pkcs12cert: only the leaf without the chain.
    const single = renderTemplate('s', '{{ pemToPkcs12 .crt .key | b64dec | pkcs12cert }}', data);
    expect(der(single)).toEqual(der(files['leaf.crt']!));
  });
});
