import { describe, expect, it } from '@jest/globals';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { CertificateManagerReader } from './acm-export.js';
import type { AcmApi } from './acm-export.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIleaf\n-----END CERTIFICATE-----\n';
const CHAIN = '-----BEGIN CERTIFICATE-----\nMIIca\n-----END CERTIFICATE-----\n';
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PLAIN_KEY = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

function fakeAcm(opts: { export?: string; cert?: () => string } = {}) {
  const calls: string[] = [];
  const api = {
    async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
      const op = cmd.constructor.name.replace(/Command$/, '');
      calls.push(op);
      if (op === 'GetCertificate') return { Certificate: opts.cert?.() ?? CERT, CertificateChain: CHAIN };
      if (op === 'DescribeCertificate')
        return { Certificate: { Options: { Export: opts.export ?? 'ENABLED' } } };
      // ACM encrypts the key with the caller's passphrase.
      const pass = cmd.input.Passphrase as Uint8Array;
      expect(Buffer.from(pass).toString()).toMatch(/^[A-Za-z0-9]{32}$/);
      const encrypted = createPrivateKey(PLAIN_KEY)
        .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: Buffer.from(pass) })
        .toString();
      return { Certificate: opts.cert?.() ?? CERT, CertificateChain: CHAIN, PrivateKey: encrypted };
    },
    destroy() {},
  } as unknown as AcmApi;
  return { api, calls };
}

const reader = (api: AcmApi, scope = 'SecretStore/ns/acm/') =>
  new CertificateManagerReader(
    api,
    '',
    scope,
    new AbortController().signal,
    () => {},
    async () => {},
  );

describe('CertificateManagerReader (ACM, ESO 2.9)', () => {
  const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/1';

  it('returns certificate, chain and the decrypted PKCS#8 key as one PEM text', async () => {
    const { api } = fakeAcm();
    const v = await reader(api, 'a').getSecret({ key: arn });
    expect(v.kind).toBe('bytes');
    const text = new TextDecoder().decode((v as { data: Uint8Array }).data);
    expect(text).toBe(`${CERT.trimEnd()}\n${CHAIN.trimEnd()}\n${PLAIN_KEY.trimEnd()}\n`);
  });
  it('exports again only when the certificate changes, and never across stores', async () => {
    let cert = CERT;
    const { api, calls } = fakeAcm({ cert: () => cert });
    await reader(api, 'b').getSecret({ key: arn });
    await reader(api, 'b').getSecret({ key: arn });
    expect(calls).toEqual(['GetCertificate', 'DescribeCertificate', 'ExportCertificate', 'GetCertificate']);
    calls.length = 0;
    cert = CERT.replace('leaf', 'renewed');
    await reader(api, 'b').getSecret({ key: arn });
    await reader(api, 'other-store').getSecret({ key: arn });
    expect(calls.filter((c) => c === 'ExportCertificate')).toHaveLength(2);
  });
  it('refuses a certificate that is not exportable', async () => {
    const { api, calls } = fakeAcm({ export: 'DISABLED' });
    await expect(reader(api, 'c').getSecret({ key: arn })).rejects.toThrow(
      `certificate "${arn}" is not exportable (Options.Export is not ENABLED)`,
    );
    expect(calls).not.toContain('ExportCertificate');
  });
});
