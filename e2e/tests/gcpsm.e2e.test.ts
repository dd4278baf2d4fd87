// The gcpsm provider against the Secret Manager emulator (e2e/tools/servers/gcpsm.sh) over
// gRPC, with the operator as its own process. Authentication: a service account key (its
// self-signed JWT reaches the emulator, which enforces IAM bindings on guarded secrets) and
// GKE workload identity with a real TokenRequest token exchanged at STS and IAM Credentials
// endpoints played by a listener in this test (Google's own cannot be reached from here).

import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { OAuth2Client } from 'google-auth-library';
import { grpc } from 'google-gax';
import {
  apply,
  externalSecret,
  newNamespace,
  plainSecret,
  secretData,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { emulatorToken } from '../tools/gcpsm-emulator/emulator.js';
import { serviceAccountKey } from '../../src/providers/gcpsm/testing.js';

let op: OperatorHandle;
let ns: string;
let admin: SecretManagerServiceClient;
let tokens: Server;
let tokensUrl: string;
// A fresh project per run: a kept emulator (SYNCRET_E2E_KEEP_CLUSTER) still holds older runs'.
const project = `e2e-${randomBytes(4).toString('hex')}`;
const READER = `reader@${project}.iam.gserviceaccount.com`;
const GSA = `wi-target@${project}.iam.gserviceaccount.com`;
const stsRequests: Record<string, string>[] = [];
const stsTokens = new Map<string, string>();
const iamRequests: { path: string; authorization: string; body: unknown }[] = [];

const v1 = secretValue('gcp-v1');
const v2 = secretValue('gcp-v2');
const v3 = secretValue('gcp-v3');
const password = secretValue('gcp-pw');
const extra = secretValue('gcp-extra');
const guarded = secretValue('gcp-guarded');
const wiValue = secretValue('gcp-wi');

async function secret(id: string, values: string[], labels: Record<string, string> = {}, annotations = {}) {
  await admin.createSecret({
    parent: `projects/${project}`,
    secretId: id,
    secret: { replication: { automatic: {} }, labels, annotations },
  });
  for (const v of values) await addVersion(id, v);
}

async function addVersion(id: string, v: string): Promise<void> {
  await admin.addSecretVersion({
    parent: `projects/${project}/secrets/${id}`,
    payload: { data: Buffer.from(v) },
  });
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c: Buffer) => (s += c.toString()));
    req.on('end', () => resolve(s));
  });
}

function claims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
}

/** Plays Google's STS and IAM Credentials endpoints, checking what real ones check. */
function startTokenEndpoints(): Promise<void> {
  tokens = createServer((req, res) => {
    void body(req).then((text) => {
      const reply = (status: number, obj: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'POST' && req.url === '/v1/token') {
        const form = Object.fromEntries(new URLSearchParams(text));
        stsRequests.push(form);
        const sub = claims(form.subject_token ?? '');
        const aud = ([] as unknown[]).concat(sub.aud);
        if (!aud.includes(`${project}.svc.id.goog`)) return reply(400, { error: 'invalid_grant' });
        const who = String(sub.sub ?? '')
          .replace(/^system:serviceaccount:/, '')
          .replace(':', '.');
        const issued = emulatorToken(`${who}@${project}.svc.id.goog`, randomBytes(4).toString('hex'));
        stsTokens.set(form.subject_token ?? '', issued);
        return reply(200, {
          access_token: issued,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 3600,
        });
      }
      const m = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(req.url ?? '');
      if (req.method === 'POST' && m) {
        const authorization = req.headers.authorization ?? '';
        iamRequests.push({ path: req.url!, authorization, body: JSON.parse(text) });
        if (!authorization.startsWith('Bearer emulator-token/'))
          return reply(401, { error: { status: 'UNAUTHENTICATED' } });
        return reply(200, {
          accessToken: emulatorToken(decodeURIComponent(m[1]!), randomBytes(4).toString('hex')),
          expireTime: new Date(Date.now() + 3600_000).toISOString(),
        });
      }
      reply(404, { error: 'not_found' });
    });
  });
  return new Promise((resolve) =>
    tokens.listen(0, '127.0.0.1', () => {
      const a = tokens.address();
      tokensUrl = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
      resolve();
    }),
  );
}

beforeAll(async () => {
  const host = serverVar('GCPSM_EMULATOR_HOST');
  admin = new SecretManagerServiceClient({
    apiEndpoint: host.split(':')[0],
    port: Number(host.split(':')[1]),
    sslCreds: grpc.credentials.createInsecure(),
    authClient: new OAuth2Client(),
  });
  await startTokenEndpoints();
  op = await startOperator({
    name: 'gcpsm',
    env: {
      SYNCRET_GCPSM_EMULATOR_HOST: host,
      SYNCRET_GCP_STS_URL: `${tokensUrl}/v1/token`,
      SYNCRET_GCP_IAM_CREDENTIALS_URL: tokensUrl,
    },
  });
  ns = newNamespace('e2e-gcp');
  await secret(
    'app',
    [v1, JSON.stringify({ db: { password } })],
    { team: 'a' },
    { 'example.com/owner': 'ops' },
  );
  await secret('app-extra', [extra], { team: 'a' });
  await secret('other', [secretValue('gcp-other')], { team: 'b' });
  await secret('rolled', [v1, v2, v3]);
  await secret('guarded', [guarded]);
  await secret('wi-only', [wiValue]);
  const bind = (id: string, member: string) =>
    admin.setIamPolicy({
      resource: `projects/${project}/secrets/${id}`,
      policy: { bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [member] }] },
    });
  await bind('guarded', `serviceAccount:someone-else@${project}.iam.gserviceaccount.com`);
  await bind('wi-only', `serviceAccount:${GSA}`);
  apply(plainSecret(ns, 'gcp-key', { 'key.json': serviceAccountKey(READER) }));
  const store = (name: string, extraSpec: object = {}) => ({
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: {
      provider: {
        gcpsm: {
          projectID: project,
          auth: { secretRef: { secretAccessKeySecretRef: { name: 'gcp-key', key: 'key.json' } } },
          ...extraSpec,
        },
      },
    },
  });
  apply(store('gcp'), store('gcp-fetch', { secretVersionSelectionPolicy: 'LatestOrFetch' }));
  await waitReady('secretstores', ns, 'gcp', { status: 'True', reason: 'Valid' });
}, 60_000);

afterAll(async () => {
  await admin?.close();
  tokens?.close();
  await finishSuite(op);
});

describe('gcpsm provider against the emulator', () => {
  it('reads latest, a numbered version, a property and a full resource name; a new version arrives at the next refresh', async () => {
    apply(
      externalSecret(ns, 'read', {
        refreshInterval: '2s',
        secretStoreRef: { name: 'gcp' },
        data: [
          { secretKey: 'password', remoteRef: { key: 'app', property: 'db.password' } },
          { secretKey: 'first', remoteRef: { key: 'app', version: '1' } },
          { secretKey: 'byName', remoteRef: { key: `projects/${project}/secrets/app/versions/1` } },
          { secretKey: 'extra', remoteRef: { key: 'app-extra' } },
        ],
      }),
    );
    await waitEs(ns, 'read');
    expect(await secretData(ns, 'read')).toEqual({ password, first: v1, byName: v1, extra });
    const next = secretValue('gcp-next');
    await addVersion('app-extra', next);
    await waitFor(
      'the new version in the Secret',
      async () => (await secretData(ns, 'read'))?.extra === next,
      {
        timeoutMs: 30_000,
      },
    );
  });

  it('a disabled latest version fails with LatestOrFail and falls back with LatestOrFetch', async () => {
    await admin.disableSecretVersion({ name: `projects/${project}/secrets/rolled/versions/3` });
    const es = (name: string, store: string) =>
      externalSecret(ns, name, {
        refreshInterval: '1h',
        secretStoreRef: { name: store },
        data: [{ secretKey: 'v', remoteRef: { key: 'rolled' } }],
      });
    apply(es('fail', 'gcp'), es('fetch', 'gcp-fetch'));
    const failed = await waitEs(ns, 'fail', { status: 'False', reason: 'ProviderError' });
    expect(failed.status!.conditions![0]!.message).toBe(
      'ProviderError: secret "rolled" version "latest" is DISABLED (FAILED_PRECONDITION); secretVersionSelectionPolicy LatestOrFail (set LatestOrFetch to fall back to the newest enabled version)',
    );
    await waitEs(ns, 'fetch');
    expect(await secretData(ns, 'fetch')).toEqual({ v: v2 });
  });

  it('fetches labels and annotations, extracts JSON and finds by name and by labels', async () => {
    apply(
      externalSecret(ns, 'meta', {
        secretStoreRef: { name: 'gcp' },
        data: [
          { secretKey: 'team', remoteRef: { key: 'app', metadataPolicy: 'Fetch', property: 'labels.team' } },
          {
            secretKey: 'owner',
            remoteRef: { key: 'app', metadataPolicy: 'Fetch', property: 'annotations.example.com/owner' },
          },
        ],
        dataFrom: [
          { extract: { key: 'app' } },
          { find: { name: { regexp: '^app-' } }, rewrite: [{ regexp: { source: '^', target: 'byname-' } }] },
          { find: { tags: { team: 'a' } }, rewrite: [{ regexp: { source: '^', target: 'bytag-' } }] },
        ],
      }),
    );
    await waitEs(ns, 'meta');
    const data = (await secretData(ns, 'meta'))!;
    expect(data).toEqual({
      team: 'a',
      owner: 'ops',
      db: JSON.stringify({ password }),
      'byname-app-extra': expect.any(String),
      'bytag-app': JSON.stringify({ db: { password } }),
      'bytag-app-extra': expect.any(String),
    });
  });

  it('reports NOT_FOUND and PERMISSION_DENIED clearly, keeping values out', async () => {
    const es = (name: string, key: string) =>
      externalSecret(ns, name, {
        refreshInterval: '1h',
        secretStoreRef: { name: 'gcp' },
        data: [{ secretKey: 'v', remoteRef: { key } }],
      });
    apply(es('missing', 'ghost'), es('denied', 'guarded'));
    const missing = await waitEs(ns, 'missing', { status: 'False', reason: 'ProviderError' });
    expect(missing.status!.conditions![0]!.message).toBe(
      `ProviderError: secret "ghost" version "latest" not found in project "${project}" (NOT_FOUND)`,
    );
    const denied = await waitEs(ns, 'denied', { status: 'False', reason: 'ProviderError' });
    expect(denied.status!.conditions![0]!.message).toMatch(
      /^ProviderError: the store's identity may not read secret "guarded" version "latest" in project "e2e-[0-9a-f]+" \(PERMISSION_DENIED/,
    );
    // The key's own identity is what the emulator checked: granting it access heals the sync.
    await admin.setIamPolicy({
      resource: `projects/${project}/secrets/guarded`,
      policy: {
        bindings: [{ role: 'roles/secretmanager.secretAccessor', members: [`serviceAccount:${READER}`] }],
      },
    });
    apply({
      ...(es('denied', 'guarded') as object),
      metadata: { name: 'denied', namespace: ns, annotations: { retry: '1' } },
    });
    await waitEs(ns, 'denied');
    expect(await secretData(ns, 'denied')).toEqual({ v: guarded });
  });

  it('authenticates with GKE workload identity: TokenRequest, STS exchange, impersonation', async () => {
    apply(
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'wi-sa', namespace: ns, annotations: { 'iam.gke.io/gcp-service-account': GSA } },
      },
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'wi', namespace: ns },
        spec: {
          provider: {
            gcpsm: {
              projectID: project,
              auth: {
                workloadIdentity: {
                  serviceAccountRef: { name: 'wi-sa' },
                  clusterLocation: 'europe-west1',
                  clusterName: 'e2e',
                },
              },
            },
          },
        },
      },
      externalSecret(ns, 'wi', {
        secretStoreRef: { name: 'wi' },
        data: [{ secretKey: 'v', remoteRef: { key: 'wi-only' } }],
      }),
    );
    await waitEs(ns, 'wi');
    expect(await secretData(ns, 'wi')).toEqual({ v: wiValue });
    const sts = stsRequests.find((r) => String(claims(r.subject_token ?? '').sub).endsWith(`:${ns}:wi-sa`))!;
    expect(sts).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience: `identitynamespace:${project}.svc.id.goog:https://container.googleapis.com/v1/projects/${project}/locations/europe-west1/clusters/e2e`,
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      scope: 'https://www.googleapis.com/auth/cloud-platform',
    });
    const stsToken = stsTokens.get(sts.subject_token ?? '');
    expect(stsToken).toMatch(new RegExp(`^emulator-token/${ns}\\.wi-sa@${project}\\.svc\\.id\\.goog/`));
    expect(iamRequests.at(-1)).toMatchObject({
      path: `/v1/projects/-/serviceAccounts/${encodeURIComponent(GSA)}:generateAccessToken`,
      authorization: `Bearer ${stsToken}`,
      body: { scope: ['https://www.googleapis.com/auth/cloud-platform'] },
    });
  });
});
