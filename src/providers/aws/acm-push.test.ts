// The ACM writer against an in-memory ACM that keeps (or, like moto, drops) tags on re-import:
// what a push imports and tags, that an unchanged certificate costs no write, that a changed one
// keeps its ARN, and that a certificate without ESO's managed-by tag is never written or deleted.

import { describe, expect, it } from '@jest/globals';
import { ProviderError } from '../errors.js';
import type { PushRequest } from '../types.js';
import { CertificateManagerReader } from './acm-export.js';
import type { AcmApi } from './acm-export.js';
import { CertificateManagerWriter } from './acm-push.js';

interface Cert {
  cert: string;
  chain: string;
  tags: Record<string, string>;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: unknown) => new TextDecoder().decode(b as Uint8Array);

/** Commands by name, as the SDK's classes are named; `dropTagsOnReimport` plays moto. */
function fakeAcm(dropTagsOnReimport = false) {
  const certs = new Map<string, Cert>();
  const calls: string[] = [];
  let n = 0;
  const notFound = () =>
    Object.assign(new Error('no such certificate'), { name: 'ResourceNotFoundException' });
  const api = {
    destroy() {},
    async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
      const op = cmd.constructor.name.replace(/Command$/, '');
      calls.push(op);
      const i = cmd.input;
      const arn = i.CertificateArn as string | undefined;
      const tags = (i.Tags ?? []) as { Key: string; Value: string }[];
      switch (op) {
        case 'ListCertificates':
          return { CertificateSummaryList: [...certs.keys()].map((CertificateArn) => ({ CertificateArn })) };
        case 'ListTagsForCertificate': {
          const c = certs.get(arn ?? '');
          if (!c) throw notFound();
          return { Tags: Object.entries(c.tags).map(([Key, Value]) => ({ Key, Value })) };
        }
        case 'GetCertificate': {
          const c = certs.get(arn ?? '');
          if (!c) throw notFound();
          return { Certificate: c.cert, CertificateChain: c.chain || c.cert };
        }
        case 'ImportCertificate': {
          const id = arn ?? `arn:aws:acm:us-east-1:123456789012:certificate/${++n}`;
          const old = certs.get(id);
          const kept = old && !dropTagsOnReimport ? old.tags : {};
          certs.set(id, {
            cert: dec(i.Certificate),
            chain: i.CertificateChain ? dec(i.CertificateChain) : '',
            tags: { ...kept, ...Object.fromEntries(tags.map((t) => [t.Key, t.Value])) },
          });
          return { CertificateArn: id };
        }
        case 'AddTagsToCertificate':
          for (const t of tags) certs.get(arn ?? '')!.tags[t.Key] = t.Value;
          return {};
        case 'RemoveTagsFromCertificate':
          for (const t of tags) delete certs.get(arn ?? '')!.tags[t.Key];
          return {};
        case 'DeleteCertificate':
          certs.delete(arn ?? '');
          return {};
      }
      throw new Error(`unexpected ${op}`);
    },
  };
  const client = new CertificateManagerReader(
    api as unknown as AcmApi,
    'p/',
    'SecretStore/ns/acm/',
    new AbortController().signal,
    () => undefined,
    async () => undefined,
  );
  return { certs, calls, writer: new CertificateManagerWriter(client) };
}

const pem = (body: string) => `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----`;
const KEY = '-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n';
const push = (crt: string, tags?: Record<string, string>, remoteKey = 'web'): PushRequest => ({
  ref: { remoteKey },
  value: { kind: 'map', data: { 'tls.crt': enc(crt), 'tls.key': enc(KEY) } },
  metadata: tags
    ? { apiVersion: 'kubernetes.external-secrets.io/v1alpha1', kind: 'PushSecretMetadata', spec: { tags } }
    : undefined,
});
const WRITES = /Import|AddTags|RemoveTags|Delete/;

describe('AWS Certificate Manager writer', () => {
  it('imports with ESO tags, costs no write while unchanged, re-imports under the same ARN', async () => {
    const acm = fakeAcm();
    expect(await acm.writer.push(push(`${pem('A')}\n${pem('CA')}`, { team: 'a' }))).toBe('created');
    const [arn, c] = [...acm.certs][0]!;
    expect(c).toEqual({
      cert: `${pem('A')}\n`,
      chain: `${pem('CA')}\n`,
      tags: { 'managed-by': 'external-secrets', 'external-secrets-remote-key': 'p/web', team: 'a' },
    });
    acm.calls.length = 0;
    expect(await acm.writer.push(push(`${pem('A')}\n${pem('CA')}`, { team: 'a' }))).toBe('unchanged');
    expect(acm.calls.filter((x) => WRITES.test(x))).toEqual([]);
    expect(await acm.writer.push(push(pem('B'), { team: 'b' }))).toBe('updated');
    expect([...acm.certs.keys()]).toEqual([arn]);
    expect(acm.certs.get(arn)).toMatchObject({ cert: `${pem('B')}\n`, tags: { team: 'b' } });
  });

  it('restores the tags a server dropped on re-import (moto), so the certificate stays ours', async () => {
    const acm = fakeAcm(true);
    await acm.writer.push(push(pem('A')));
    await acm.writer.push(push(pem('B')));
    const [, c] = [...acm.certs][0]!;
    expect(c.tags).toEqual({ 'managed-by': 'external-secrets', 'external-secrets-remote-key': 'p/web' });
    expect(await acm.writer.push(push(pem('B')))).toBe('unchanged');
  });

  it('never writes or deletes a certificate without managed-by', async () => {
    const acm = fakeAcm();
    acm.certs.set('arn:theirs', {
      cert: pem('T'),
      chain: '',
      tags: { 'external-secrets-remote-key': 'p/web' },
    });
    await expect(acm.writer.push(push(pem('A')))).rejects.toMatchObject({ reason: 'NotOwned' });
    expect(await acm.writer.exists({ remoteKey: 'web' })).toBe(true);
    expect(await acm.writer.delete({ remoteKey: 'web' })).toBe('not-owned');
    expect(acm.certs.get('arn:theirs')?.cert).toBe(pem('T'));
    expect(acm.calls.filter((x) => WRITES.test(x))).toEqual([]);
  });

  it('deletes only its own certificate, and refuses a single key or a Secret without tls.key', async () => {
    const acm = fakeAcm();
    await acm.writer.push(push(pem('A')));
    expect(await acm.writer.delete({ remoteKey: 'web' })).toBe('deleted');
    expect(await acm.writer.delete({ remoteKey: 'web' })).toBe('absent');
    const one: PushRequest = { ref: { remoteKey: 'x' }, value: { kind: 'bytes', data: enc(pem('A')) } };
    await expect(acm.writer.push(one)).rejects.toBeInstanceOf(ProviderError);
    const noKey: PushRequest = {
      ref: { remoteKey: 'x' },
      value: { kind: 'map', data: { 'tls.crt': enc(pem('A')) } },
    };
    await expect(acm.writer.push(noKey)).rejects.toMatchObject({ reason: 'InvalidRequest' });
  });
});
