// AWS Certificate Manager (service: CertificateManager) and sessionTagsPolicy Simple/Custom on
// moto: an exportable certificate arrives as certificate, chain and decrypted key; a
// certificate that is not exportable is reported; an unchanged certificate is not exported
// again; the session tags name the requesting namespace and the store.

import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACMClient, ImportCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  kubectl,
  newNamespace,
  plainSecret,
  remove,
  secretData,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import {
  REGION,
  closeAdmins,
  mark,
  motoUrl,
  operatorAwsEnv,
  operatorCalls,
  roleArn,
  smAdmin,
  startRecording,
  stopRecording,
} from './aws-moto.js';

let op: OperatorHandle;
let ns: string;
let acm: ACMClient;
const run = `acm-${randomBytes(3).toString('hex')}`;
const STATIC_KEY = 'AKIAACME2E0000000000';

const store = (name: string, aws: object, kind: 'SecretStore' | 'ClusterSecretStore' = 'SecretStore') => ({
  apiVersion: 'external-secrets.io/v1',
  kind,
  metadata: kind === 'SecretStore' ? { name, namespace: ns } : { name },
  spec: {
    provider: {
      aws: {
        region: REGION,
        auth: {
          secretRef: {
            accessKeyIDSecretRef: {
              name: 'aws-keys',
              key: 'id',
              namespace: kind === 'SecretStore' ? undefined : ns,
            },
            secretAccessKeySecretRef: {
              name: 'aws-keys',
              key: 'secret',
              namespace: kind === 'SecretStore' ? undefined : ns,
            },
          },
        },
        ...aws,
      },
    },
  },
});

/** A self-signed certificate and key, as openssl writes them. */
function selfSigned(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'acm-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${run}.example.com`,
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'c.pem'), 'utf8'), key: readFileSync(join(dir, 'k.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await startRecording();
  op = await startOperator({ name: 'acm', env: operatorAwsEnv() });
  ns = newNamespace('e2e-acm');
  acm = new ACMClient({
    region: REGION,
    endpoint: motoUrl(),
    credentials: { accessKeyId: 'AKIAE2EADMIN00000000', secretAccessKey: 'e2e-admin' },
  });
  apply(plainSecret(ns, 'aws-keys', { id: STATIC_KEY, secret: secretValue('aws-secret') }));
});

afterAll(async () => {
  remove('clustersecretstore', undefined, `tags-${run}`);
  await stopRecording();
  acm.destroy();
  closeAdmins();
  await finishSuite(op);
});

describe('service CertificateManager', () => {
  it('syncs an exportable certificate with its chain and decrypted key, and exports it once', async () => {
    const out = await acm.send(
      new RequestCertificateCommand({ DomainName: `${run}.example.com`, Options: { Export: 'ENABLED' } }),
    );
    const arn = out.CertificateArn!;
    apply(
      store('acm', { service: 'CertificateManager' }),
      externalSecret(ns, 'cert', {
        secretStoreRef: { name: 'acm' },
        refreshInterval: '1h',
        data: [{ secretKey: 'bundle.pem', remoteRef: { key: arn } }],
      }),
    );
    await waitEs(ns, 'cert');
    const pem = (await secretData(ns, 'cert'))!['bundle.pem']!;
    const blocks = pem.match(/-----BEGIN ([A-Z ]+)-----/g) ?? [];
    expect(blocks[0]).toBe('-----BEGIN CERTIFICATE-----');
    expect(blocks[blocks.length - 1]).toBe('-----BEGIN PRIVATE KEY-----');
    expect(pem).not.toContain('ENCRYPTED');
    expect(pem.endsWith('-----END PRIVATE KEY-----\n')).toBe(true);
    const leaf = new X509Certificate(pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25));
    const key = createPrivateKey(pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----')));
    expect(leaf.checkPrivateKey(key)).toBe(true);

    // A forced refresh reads the certificate again, but does not pay for another export.
    const m = mark();
    kubectl(['annotate', 'externalsecret', '-n', ns, 'cert', `force-sync=${Date.now()}`, '--overwrite']);
    await waitFor('the forced refresh', () =>
      operatorCalls(m).some((c) => c.op.endsWith('GetCertificate')) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(operatorCalls(m).map((c) => c.op.replace(/^.*\./, ''))).toEqual(['GetCertificate']);
  });

  it('reports a certificate that cannot be exported', async () => {
    const { cert, key } = selfSigned();
    const out = await acm.send(
      new ImportCertificateCommand({ Certificate: Buffer.from(cert), PrivateKey: Buffer.from(key) }),
    );
    apply(
      externalSecret(ns, 'not-exportable', {
        secretStoreRef: { name: 'acm' },
        data: [{ secretKey: 'pem', remoteRef: { key: out.CertificateArn! } }],
      }),
    );
    const es = await waitEs(ns, 'not-exportable', { status: 'False', reason: 'ProviderError' });
    expect(es.status!.conditions![0]!.message).toBe(
      `certificate "${out.CertificateArn!}" is not exportable (Options.Export is not ENABLED)`,
    );
  });
});

describe('sessionTagsPolicy', () => {
  it('Custom tags the assumed session with the namespace, the store and customSessionTags', async () => {
    const name = `${run}/tagged`;
    await smAdmin().send(new CreateSecretCommand({ Name: name, SecretString: 'tagged-value' }));
    const m = mark();
    apply(
      store(
        `tags-${run}`,
        {
          service: 'SecretsManager',
          role: roleArn('tagged'),
          sessionTagsPolicy: 'Custom',
          customSessionTags: { team: 'payments' },
        },
        'ClusterSecretStore',
      ),
      externalSecret(ns, 'tagged', {
        secretStoreRef: { name: `tags-${run}`, kind: 'ClusterSecretStore' },
        data: [{ secretKey: 'v', remoteRef: { key: name } }],
      }),
    );
    await waitEs(ns, 'tagged');
    expect(await secretData(ns, 'tagged')).toEqual({ v: 'tagged-value' });
    const assume = operatorCalls(m).find(
      (c) => c.op === 'sts.AssumeRole' && c.params.RoleArn === roleArn('tagged'),
    );
    const tags: Record<string, string> = {};
    for (let i = 1; assume?.params[`Tags.member.${i}.Key`] !== undefined; i++)
      tags[String(assume.params[`Tags.member.${i}.Key`])] = String(assume.params[`Tags.member.${i}.Value`]);
    expect(tags).toEqual({
      esoNamespace: ns,
      esoStoreKind: 'ClusterSecretStore',
      esoStoreName: `tags-${run}`,
      team: 'payments',
    });
  });
});
