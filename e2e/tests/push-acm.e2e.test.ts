// PushSecret into moto's AWS Certificate Manager (service CertificateManager): a
// kubernetes.io/tls Secret imported as a certificate carrying ESO's two tags (managed-by and
// external-secrets-remote-key) and the metadata's tags, re-imported under the same ARN only
// when the certificate changed (moto's request recorder counts the writes: none while it is
// unchanged), a certificate someone else tagged is refused and IfNotExists leaves it, and
// deletionPolicy Delete deletes only what it owns while None keeps it. The same store (one ACM
// client) also serves an ExternalSecret's read of an exportable certificate by its ARN.

import {
  ACMClient,
  DescribeCertificateCommand,
  GetCertificateCommand,
  ImportCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RequestCertificateCommand,
} from '@aws-sdk/client-acm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { selfSignedPem } from '../lib/azurekv.js';
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
import { forceSync, getPush, pushSecret, pushStatus, waitPush } from '../lib/push.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue, trackValue } from '../lib/values.js';
import {
  REGION,
  mark,
  motoUrl,
  operatorAwsEnv,
  operatorCalls,
  startRecording,
  stopRecording,
} from './aws-moto.js';

let op: OperatorHandle;
let ns: string;
let acm: ACMClient;
const sfx = Math.random().toString(16).slice(2, 8);
const prefix = `push-${sfx}/`;
const WRITES =
  /^CertificateManager\.(ImportCertificate|AddTagsToCertificate|RemoveTagsFromCertificate|DeleteCertificate)$/;

/** A certificate and key the leak scan knows: the key whole, and one line of its body. */
function tlsPair(cn: string): { certPem: string; keyPem: string } {
  const { certPem, keyPem } = selfSignedPem(cn);
  trackValue(keyPem);
  trackValue(keyPem.split('\n')[3] ?? '');
  return { certPem, keyPem };
}

const tlsSecret = (name: string, p: { certPem: string; keyPem: string }) => ({
  ...plainSecret(ns, name, { 'tls.crt': p.certPem, 'tls.key': p.keyPem }),
  type: 'kubernetes.io/tls',
});

const meta = (spec: object) => ({
  apiVersion: 'kubernetes.external-secrets.io/v1alpha1',
  kind: 'PushSecretMetadata',
  spec,
});

/** The certificates (ARN → tags) that carry the remote-key tag `key`. */
async function tagged(key: string): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  const list = await acm.send(new ListCertificatesCommand({}));
  for (const c of list.CertificateSummaryList ?? []) {
    const t = await acm.send(new ListTagsForCertificateCommand({ CertificateArn: c.CertificateArn }));
    const tags = Object.fromEntries((t.Tags ?? []).map((x) => [x.Key ?? '', x.Value ?? '']));
    if (tags['external-secrets-remote-key'] === prefix + key) out.set(c.CertificateArn ?? '', tags);
  }
  return out;
}

const leafOf = async (arn: string) =>
  (await acm.send(new GetCertificateCommand({ CertificateArn: arn }))).Certificate?.trim();
const written = (from: number) =>
  operatorCalls(from)
    .filter((c) => WRITES.test(c.op))
    .map((c) => c.op);

beforeAll(async () => {
  await startRecording();
  acm = new ACMClient({
    region: REGION,
    endpoint: motoUrl(),
    credentials: { accessKeyId: 'AKIAE2EADMIN00000000', secretAccessKey: 'e2e-admin' },
  });
  op = await startOperator({ name: 'push-acm', env: operatorAwsEnv() });
  ns = newNamespace('e2e-push-acm');
  apply(plainSecret(ns, 'aws-keys', { id: 'AKIAE2EPUSHACM000000', secret: secretValue('acm-secret-key') }), {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name: 'acm', namespace: ns },
    spec: {
      provider: {
        aws: {
          service: 'CertificateManager',
          region: REGION,
          prefix,
          auth: {
            secretRef: {
              accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' },
              secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' },
            },
          },
        },
      },
    },
  });
});

afterAll(async () => {
  await stopRecording().catch(() => undefined);
  acm?.destroy();
  await finishSuite(op);
});

describe('PushSecret into AWS Certificate Manager', () => {
  it('imports with ESO tags, writes nothing while unchanged, re-imports under the same ARN on a change', async () => {
    const first = tlsPair(`a-${sfx}.push.example`);
    apply(
      tlsSecret('web', first),
      pushSecret(ns, 'web', {
        secretStoreRefs: [{ name: 'acm' }],
        selector: { secret: { name: 'web' } },
        data: [{ match: { remoteRef: { remoteKey: 'web' } }, metadata: meta({ tags: { team: 'a' } }) }],
      }),
    );
    await waitPush(ns, 'web', { reason: 'Synced' });
    const certs = await tagged('web');
    expect(certs.size).toBe(1);
    const [arn, tags] = [...certs][0]!;
    expect(tags).toEqual({
      'managed-by': 'external-secrets',
      'external-secrets-remote-key': `${prefix}web`,
      team: 'a',
    });
    expect(await leafOf(arn)).toBe(first.certPem.trim());
    // ESO's status: the entry as pushed, under "Kind/name" of the store and its remote key.
    expect(pushStatus(await getPush(ns, 'web')).syncedPushSecrets).toMatchObject({
      'SecretStore/acm': { web: { match: { remoteRef: { remoteKey: 'web' } } } },
    });

    const from = mark();
    const last = pushStatus(await getPush(ns, 'web')).refreshTime ?? '';
    await new Promise((r) => setTimeout(r, 1100));
    forceSync(ns, 'web', kubectl);
    await waitPush(ns, 'web', { after: last });
    expect(written(from)).toEqual([]);

    const second = tlsPair(`b-${sfx}.push.example`);
    apply(tlsSecret('web', second));
    await waitFor('the new certificate', async () => (await leafOf(arn)) === second.certPem.trim());
    const after = await tagged('web');
    expect([...after.keys()]).toEqual([arn]);
    expect(after.get(arn)).toMatchObject({ 'managed-by': 'external-secrets', team: 'a' });
    expect((await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate?.Type).toBe(
      'IMPORTED',
    );
  });

  it('refuses a certificate it did not tag as its own; IfNotExists leaves it', async () => {
    const theirs = tlsPair(`c-${sfx}.push.example`);
    const imported = await acm.send(
      new ImportCertificateCommand({
        Certificate: Buffer.from(theirs.certPem),
        PrivateKey: Buffer.from(theirs.keyPem),
        Tags: [{ Key: 'external-secrets-remote-key', Value: `${prefix}theirs` }],
      }),
    );
    const mine = tlsPair(`d-${sfx}.push.example`);
    apply(
      tlsSecret('mine', mine),
      pushSecret(ns, 'theirs', {
        secretStoreRefs: [{ name: 'acm' }],
        selector: { secret: { name: 'mine' } },
        data: [{ match: { remoteRef: { remoteKey: 'theirs' } } }],
      }),
      pushSecret(ns, 'once', {
        updatePolicy: 'IfNotExists',
        secretStoreRefs: [{ name: 'acm' }],
        selector: { secret: { name: 'mine' } },
        data: [{ match: { remoteRef: { remoteKey: 'theirs' } } }],
      }),
    );
    await waitPush(ns, 'theirs', {
      status: 'False',
      reason: 'Errored',
      message: /not created by Syncret or ESO/,
    });
    await waitPush(ns, 'once');
    expect(await leafOf(imported.CertificateArn ?? '')).toBe(theirs.certPem.trim());
    expect([...(await tagged('theirs')).keys()]).toEqual([imported.CertificateArn]);
  });

  it('deletionPolicy Delete deletes the certificate it owns, never another; None keeps it', async () => {
    const p = tlsPair(`e-${sfx}.push.example`);
    apply(
      tlsSecret('gone', p),
      pushSecret(ns, 'del', {
        deletionPolicy: 'Delete',
        secretStoreRefs: [{ name: 'acm' }],
        selector: { secret: { name: 'gone' } },
        data: [
          { match: { remoteRef: { remoteKey: 'gone' } } },
          { match: { remoteRef: { remoteKey: 'theirs' } } },
        ],
      }),
      pushSecret(ns, 'none', {
        secretStoreRefs: [{ name: 'acm' }],
        selector: { secret: { name: 'gone' } },
        data: [{ match: { remoteRef: { remoteKey: 'kept' } } }],
      }),
    );
    await waitFor('gone imported', async () => (await tagged('gone')).size === 1);
    await waitPush(ns, 'none');
    remove('pushsecret', ns, 'del');
    remove('pushsecret', ns, 'none');
    await waitFor('both gone', async () => !(await getPush(ns, 'del')) && !(await getPush(ns, 'none')));
    expect((await tagged('gone')).size).toBe(0);
    expect((await tagged('theirs')).size).toBe(1);
    expect((await tagged('kept')).size).toBe(1);
  });

  it('one store reads (an ExternalSecret, the ARN without the prefix) and pushes', async () => {
    const out = await acm.send(
      new RequestCertificateCommand({ DomainName: `r-${sfx}.push.example`, Options: { Export: 'ENABLED' } }),
    );
    const arn = out.CertificateArn!;
    const p = tlsPair(`f-${sfx}.push.example`);
    apply(
      externalSecret(ns, 'read', {
        secretStoreRef: { name: 'acm' },
        refreshInterval: '1h',
        data: [{ secretKey: 'bundle.pem', remoteRef: { key: arn } }],
      }),
      tlsSecret('both', p),
      pushSecret(ns, 'both', {
        secretStoreRefs: [{ name: 'acm' }],
        selector: { secret: { name: 'both' } },
        data: [{ match: { remoteRef: { remoteKey: 'both' } } }],
      }),
    );
    await waitEs(ns, 'read');
    const pem = (await secretData(ns, 'read'))!['bundle.pem']!;
    // The exported key is a secret value too: the final leak scan looks for it.
    trackValue(pem.slice(pem.indexOf('-----BEGIN PRIVATE KEY-----')));
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----')).toBe(true);
    expect(pem).toContain('-----BEGIN PRIVATE KEY-----');
    await waitPush(ns, 'both', { reason: 'Synced' });
    const certs = await tagged('both');
    expect(certs.size).toBe(1);
    expect(await leafOf([...certs.keys()][0]!)).toBe(p.certPem.trim());
  });
});
