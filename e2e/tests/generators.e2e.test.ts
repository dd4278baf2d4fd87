// The generators.external-secrets.io kinds on the real control plane: every ESO 2.9 generator
// manifest applies, and every kind produces the Secret ESO documents: Password, UUID, Fake,
// SSHKey, MFA; ECR and STS (moto); VaultDynamicSecret.getParameters (OpenBao); ACR (the Key
// Vault test server's Entra ID); Webhook, GitHub, Quay, Cloudsmith, GitLab, Grafana, GCR (STS)
// and BeyondTrust against a local HTTPS server speaking their APIs; ClusterGenerator from two
// namespaces. Generated values stay put across refreshes that are not due and an operator
// restart, change when the refreshInterval says so, and one generator used twice gives two.

import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, verify } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  getEs,
  newNamespace,
  plainSecret,
  remove,
  secretData,
  tryApply,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { kvEnv, registerIdentity, selfSignedPem } from '../lib/azurekv.js';
import { assertNoSecretLeaks } from '../lib/leaks.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { bao, kv2Put, mountKv, policy, suffix } from '../lib/vault.js';
import { operatorAwsEnv } from './aws-moto.js';

const GV = 'generators.external-secrets.io/v1alpha1';
const sfx = suffix();
const CLUSTER_GEN = `e2e-gen-${sfx}`;
const CLUSTER_MFA = `e2e-mfa-${sfx}`;
const kvMount = `kv-gen-${sfx}`;
// RFC 6238's SHA-1 seed ("12345678901234567890") in base32: its token at 00:00:59 is 287082.
const RFC_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

let op: OperatorHandle;
let ns: string;
let ns2: string;
let https: Server;
let httpsUrl = '';
let caPem = '';
const webhookSeen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
/** Outputs that are not secret (hosts, times, public keys): the leak scan would find them in messages. */
const PUBLIC_KEYS = new Set([
  'registry',
  'proxy_endpoint',
  'expiry',
  'expires_at',
  'expiration',
  'timeLeft',
  'publicKey',
  'username',
]);
/** Values generated during the test, for the leak scan. */
const generated: string[] = [];
const webhookToken = secretValue('webhook');
const githubToken = secretValue('ghs');
const gitlabPat = secretValue('glpat');
const grafanaAdmin = secretValue('grafana-admin');
const gcpToken = `ya29.${secretValue('gcp')}`;
const acrRefresh = secretValue('acr-refresh');
const acrAccess = secretValue('acr-access');
const acrSecret = secretValue('acr-sp');
const registryHost = () => httpsUrl.replace('https://', '');
const btKey = secretValue('bt-key');
const btSecret = secretValue('bt-secret');
const BT_SITE = 'a1b2c3d4-e5f6-4890-abcd-ef1234567890';
const quayToken = fakeJwt(secretValue('quay'), 1_900_000_000);
const cloudsmithToken = fakeJwt(secretValue('cloudsmith'), 1_900_000_001);
const githubApp = generateKeyPairSync('rsa', { modulusLength: 2048 });
const OPERATOR_ARGS = ['--requeue-on-error-max', '2s'];
let caFile = '';
let acrClientId = '';
const operatorEnv = () => ({
  ...operatorAwsEnv(),
  NODE_EXTRA_CA_CERTS: caFile,
  SYNCRET_GCP_STS_URL: `${httpsUrl}/v1/token`,
  // Entra ID for ACRAccessToken: the Key Vault test server's.
  AZURE_AUTHORITY_HOST: kvEnv().authority,
});
const kvV1 = secretValue('kv-v1');
const kvV2 = secretValue('kv-v2');
const vaultToken = secretValue('vault-token');

function gen(kind: string, name: string, spec: object, namespace = ns): object {
  return { apiVersion: GV, kind, metadata: { name, namespace }, spec };
}

const ref = (kind: string, name: string) => ({ sourceRef: { generatorRef: { apiVersion: GV, kind, name } } });

function genEs(name: string, entries: object[], extra: Record<string, unknown> = {}, namespace = ns): object {
  return externalSecret(namespace, name, {
    refreshInterval: '1h',
    target: { name },
    dataFrom: entries,
    ...extra,
  });
}

async function values(name: string, namespace = ns): Promise<Record<string, string>> {
  const d = (await secretData(namespace, name)) ?? {};
  for (const [k, v] of Object.entries(d))
    if (!PUBLIC_KEYS.has(k.replace(/^(pinned-|mfa-)/, '')) && v.length >= 12 && !generated.includes(v))
      generated.push(v);
  return d;
}

async function startWebhookServer(): Promise<void> {
  // A certificate for 127.0.0.1 that is its own CA.
  const { certPem: cert, keyPem: key } = selfSignedPem('127.0.0.1', 'IP:127.0.0.1');
  caPem = cert;
  let n = 0;
  https = createServer({ cert, key }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      webhookSeen.push({ url: req.url ?? '', headers: req.headers, body });
      if (tokenRoute(req.method ?? '', req.url ?? '', req.headers, body, res)) return;
      if (req.headers.authorization !== `Bearer ${webhookToken}`) {
        res.writeHead(401).end();
        return;
      }
      n++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issued: { apiKey: `key-${sfx}-${n}-${'x'.repeat(8)}`, serial: n, scopes: ['a', 'b'] },
        }),
      );
    });
  });
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r));
  httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
}

/** A JWT-shaped token with an exp claim (the registries' tokens are JWTs; only exp is read). */
function fakeJwt(label: string, exp: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none' })}.${part({ sub: label, exp })}.${part({ n: label })}`;
}

const jwtClaims = (t: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

/** GitHub's, Quay's and Cloudsmith's token endpoints, as documented; true when it answered. */
function tokenRoute(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: string,
  res: ServerResponse,
): boolean {
  const answer = (status: number, o: object) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(o));
    return true;
  };
  if (method === 'POST' && url === '/app/installations/42/access_tokens') {
    const jwt = (headers.authorization ?? '').replace(/^Bearer /, '');
    const [h, p, sig] = jwt.split('.');
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      githubApp.publicKey,
      Buffer.from(sig ?? '', 'base64url'),
    );
    const claims = ok ? jwtClaims(jwt) : {};
    if (!ok || claims.iss !== '1234' || headers.accept !== 'application/vnd.github.v3+json')
      return answer(401, { message: 'Bad credentials' });
    return answer(201, {
      token: githubToken,
      expires_at: '2030-01-01T00:00:00Z',
      echo: JSON.parse(body || '{}'),
    });
  }
  if (method === 'GET' && url === '/oauth2/federation/robot/token') {
    const [robot, sa] = Buffer.from((headers.authorization ?? '').replace(/^Basic /, ''), 'base64')
      .toString()
      .split(':');
    if (robot !== 'org+bot' || jwtClaims(sa ?? '').sub !== `system:serviceaccount:${ns}:registry-sa`)
      return answer(401, {});
    return answer(200, { token: quayToken });
  }
  if (method === 'POST' && url === '/openid/my-org/') {
    const b = JSON.parse(body || '{}') as { oidc_token?: string; service_slug?: string };
    if (
      b.service_slug !== 'ci-bot' ||
      jwtClaims(b.oidc_token ?? '').sub !== `system:serviceaccount:${ns}:registry-sa`
    )
      return answer(401, {});
    return answer(201, { token: cloudsmithToken });
  }
  return saasRoute(method, url, headers, body, answer);
}

/** Live tokens of the GitLab and Grafana endpoints below, by id (false once deleted). */
const gitlabTokens = new Map<number, boolean>();
const grafanaTokens = new Map<number, boolean>();
let grafanaAccount: { id: number; name: string; login: string } | undefined;

/** GitLab's deploy token and Grafana's service account APIs, as documented. */
function saasRoute(
  method: string,
  url: string,
  headers: IncomingHttpHeaders,
  body: string,
  answer: (status: number, o: object) => boolean,
): boolean {
  const gl = /^\/api\/v4\/projects\/group%2Fapp\/deploy_tokens(?:\/(\d+))?$/.exec(url);
  if (gl) {
    if (headers['private-token'] !== gitlabPat) return answer(401, { message: '401 Unauthorized' });
    if (method === 'POST') {
      const id = gitlabTokens.size + 1;
      gitlabTokens.set(id, true);
      return answer(201, {
        id,
        name: 'deploy',
        username: `gitlab+deploy-token-${id}`,
        token: `gldt-${sfx}-${id}-token`,
      });
    }
    if (method === 'DELETE' && gl[1]) {
      const id = Number(gl[1]);
      if (!gitlabTokens.get(id)) return answer(404, { message: '404 Not found' });
      gitlabTokens.set(id, false);
      return answer(204, {});
    }
  }
  // ACR's token exchange: an Entra ID token (from the Key Vault test server's Entra ID) for a
  // refresh token, that for an access token of a scope.
  if (method === 'POST' && (url === '/oauth2/exchange' || url === '/oauth2/token')) {
    const form = Object.fromEntries(new URLSearchParams(body));
    if (form.service !== registryHost()) return answer(400, { errors: [{ code: 'UNSUPPORTED' }] });
    if (url === '/oauth2/exchange') {
      const ok =
        form.grant_type === 'access_token' &&
        form.tenant === kvEnv().tenant &&
        form.access_token?.startsWith('kvt.');
      return ok
        ? answer(200, { refresh_token: acrRefresh })
        : answer(401, { errors: [{ code: 'UNAUTHORIZED' }] });
    }
    const ok =
      form.grant_type === 'refresh_token' &&
      form.refresh_token === acrRefresh &&
      form.scope === 'repository:app:pull';
    return ok
      ? answer(200, { access_token: acrAccess })
      : answer(401, { errors: [{ code: 'UNAUTHORIZED' }] });
  }
  // BeyondTrust Workload Credentials: a dynamic secret of a folder, as ESO's client calls it.
  if (method === 'POST' && url === `/${BT_SITE}/secrets/dynamic/db/generate?folder=prod%2Faws`) {
    if (headers.authorization !== `Bearer ${btKey}` || headers['bt-secrets-api-version'] !== '2026-04-28')
      return answer(401, { error: 'unauthorized' });
    return answer(201, {
      secret: {
        accessKeyId: 'ASIABEYONDTRUST',
        secretAccessKey: btSecret,
        leaseId: 'lease-1',
        expiration: '2030-01-01T00:00:00Z',
      },
    });
  }
  // Google's STS (GKE workload identity): the ServiceAccount token for its identity pool.
  if (method === 'POST' && url === '/v1/token') {
    const form = Object.fromEntries(new URLSearchParams(body));
    const sub = jwtClaims(form.subject_token ?? '');
    const aud = ([] as unknown[]).concat(sub.aud);
    if (
      form.grant_type !== 'urn:ietf:params:oauth:grant-type:token-exchange' ||
      !aud.includes('my-project.svc.id.goog')
    )
      return answer(400, { error: 'invalid_grant' });
    return answer(200, {
      access_token: gcpToken,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3600,
    });
  }
  if (url.startsWith('/grafana/api/serviceaccounts')) {
    if (headers.authorization !== `Bearer ${grafanaAdmin}`)
      return answer(401, { message: 'invalid API key' });
    if (method === 'GET' && url === '/grafana/api/serviceaccounts/search?query=e2e-sa')
      return answer(200, {
        totalCount: grafanaAccount ? 1 : 0,
        serviceAccounts: grafanaAccount ? [grafanaAccount] : [],
      });
    if (method === 'POST' && url === '/grafana/api/serviceaccounts') {
      const b = JSON.parse(body || '{}') as { name?: string; role?: string };
      if (b.role !== 'Viewer') return answer(400, { message: 'bad role' });
      grafanaAccount = { id: 5, name: b.name ?? '', login: `sa-${b.name}` };
      return answer(201, grafanaAccount);
    }
    const tok = /^\/grafana\/api\/serviceaccounts\/5\/tokens(?:\/(\d+))?$/.exec(url);
    if (tok && method === 'POST') {
      const id = grafanaTokens.size + 1;
      grafanaTokens.set(id, true);
      return answer(200, {
        id,
        name: (JSON.parse(body) as { name: string }).name,
        key: `glsa_${sfx}_${id}_key`,
      });
    }
    if (tok?.[1] && method === 'DELETE') {
      const id = Number(tok[1]);
      if (!grafanaTokens.get(id)) return answer(404, { message: 'service account token not found' });
      grafanaTokens.set(id, false);
      return answer(200, { message: 'API key deleted' });
    }
  }
  return false;
}

beforeAll(async () => {
  await startWebhookServer();
  caFile = join(mkdtempSync(join(tmpdir(), 'gen-ca-')), 'ca.pem');
  // This suite's CA and the Key Vault test server's (its Entra ID), for the operator to trust.
  writeFileSync(caFile, `${caPem}\n${kvEnv().ca}`);
  // GitHub, Quay and Cloudsmith take no CA bundle: the operator trusts the test CA as a whole.
  op = await startOperator({ name: 'generators', args: OPERATOR_ARGS, env: operatorEnv() });
  ns = newNamespace('e2e-gen');
  ns2 = newNamespace('e2e-gen-b');
  acrClientId = await registerIdentity({ secret: acrSecret });
  await mountKv(kvMount, 2);
  await kv2Put(kvMount, 'app', { value: kvV1 });
  await kv2Put(kvMount, 'app', { value: kvV2 });
  // A token with a known id (for the leak scan) that may only read this mount.
  await policy(`gen-${sfx}`, `path "${kvMount}/data/*" { capabilities = ["read"] }`);
  await bao('POST', 'auth/token/create', { id: vaultToken, policies: [`gen-${sfx}`], ttl: '1h' });
  apply(
    plainSecret(ns, 'seed', { totp: RFC_SEED }),
    plainSecret(ns2, 'seed', { totp: 'MZXW6YTBOI' }),
    plainSecret(
      ns,
      'hook-creds',
      { token: webhookToken },
      { labels: { 'external-secrets.io/type': 'webhook' } },
    ),
    plainSecret(ns, 'aws-keys', { id: 'AKIAGENERATORE2E0000', secret: 'generator-e2e-secret' }),
    plainSecret(ns, 'vault-token', { token: vaultToken }),
    gen('Password', 'pw', { length: 32, digits: 6, symbols: 4, symbolCharacters: '-_+=' }),
    gen('Password', 'pw-keys', { length: 20, secretKeys: ['a', 'b'], encoding: 'hex', allowRepeat: true }),
    gen('UUID', 'id', {}),
    gen('Fake', 'fake', { data: { user: 'admin', mode: 'test' } }),
    gen('SSHKey', 'ssh-rsa', { comment: 'deploy@e2e' }),
    gen('SSHKey', 'ssh-ed', { keyType: 'ed25519', comment: 'ed@e2e' }),
    gen('SSHKey', 'ssh-ec', { keyType: 'ecdsa', keySize: 384 }),
    gen('MFA', 'totp-pinned', { secret: { name: 'seed', key: 'totp' }, when: '1970-01-01T00:00:59Z' }),
    gen('MFA', 'totp', { secret: { name: 'seed', key: 'totp' }, length: 8 }),
    gen('Webhook', 'hook', {
      url: `${httpsUrl}/issue?team={{ .creds.token | len }}`,
      method: 'POST',
      headers: { Authorization: 'Bearer {{ .creds.token }}', 'Content-Type': 'application/json' },
      body: '{"for":"e2e"}',
      result: { jsonPath: '$.issued' },
      secrets: [{ name: 'creds', secretRef: { name: 'hook-creds', key: 'token' } }],
      caBundle: Buffer.from(caPem).toString('base64'),
    }),
    gen('ECRAuthorizationToken', 'ecr', {
      region: 'us-east-1',
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' },
          secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' },
        },
      },
    }),
    gen('STSSessionToken', 'sts', {
      region: 'us-east-1',
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' },
          secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' },
        },
      },
      requestParameters: { sessionDuration: 900 },
    }),
    gen('VaultDynamicSecret', 'kv-v1', {
      path: `${kvMount}/data/app`,
      getParameters: { version: ['1'] },
      provider: {
        server: serverVar('VAULT_ADDR'),
        auth: { tokenSecretRef: { name: 'vault-token', key: 'token' } },
      },
    }),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'registry-sa', namespace: ns } },
    plainSecret(ns, 'github-app', {
      key: githubApp.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    }),
    gen('GithubAccessToken', 'github', {
      url: `${httpsUrl}/`,
      appID: '1234',
      installID: '42',
      repositories: ['app'],
      permissions: { contents: 'read' },
      auth: { privateKey: { secretRef: { name: 'github-app', key: 'key' } } },
    }),
    gen('QuayAccessToken', 'quay', {
      url: httpsUrl.replace('https://', ''),
      robotAccount: 'org+bot',
      serviceAccountRef: { name: 'registry-sa' },
    }),
    gen('CloudsmithAccessToken', 'cloudsmith', {
      apiUrl: httpsUrl,
      orgSlug: 'my-org',
      serviceSlug: 'ci-bot',
      serviceAccountRef: { name: 'registry-sa' },
    }),
    plainSecret(ns, 'saas-creds', { gitlab: gitlabPat, grafana: grafanaAdmin }),
    gen('GitlabDeployToken', 'gitlab', {
      url: httpsUrl,
      projectID: 'group/app',
      name: 'deploy',
      scopes: ['read_registry'],
      auth: { token: { secretRef: { name: 'saas-creds', key: 'gitlab' } } },
    }),
    gen('Grafana', 'grafana', {
      url: `${httpsUrl}/grafana`,
      auth: { token: { name: 'saas-creds', key: 'grafana' } },
      serviceAccount: { name: 'e2e-sa', role: 'Viewer', secondsToLive: 3600 },
    }),
    gen('GCRAccessToken', 'gcr', {
      projectID: 'my-project',
      auth: {
        workloadIdentity: {
          serviceAccountRef: { name: 'registry-sa' },
          clusterLocation: 'europe-west1',
          clusterName: 'e2e',
        },
      },
    }),
    plainSecret(ns, 'acr-sp', { clientId: acrClientId, clientSecret: acrSecret }),
    gen('ACRAccessToken', 'acr', {
      registry: registryHost(),
      tenantId: kvEnv().tenant,
      scope: 'repository:app:pull',
      auth: {
        servicePrincipal: {
          secretRef: {
            clientId: { name: 'acr-sp', key: 'clientId' },
            clientSecret: { name: 'acr-sp', key: 'clientSecret' },
          },
        },
      },
    }),
    plainSecret(ns, 'bt-key', { key: btKey }),
    gen('BeyondtrustWorkloadCredentialsDynamicSecret', 'bt', {
      provider: {
        auth: { apikey: { token: { name: 'bt-key', key: 'key' } } },
        server: { apiUrl: httpsUrl, siteId: BT_SITE },
        folderPath: 'prod/aws/db',
        caBundle: Buffer.from(caPem).toString('base64'),
      },
    }),
    {
      apiVersion: GV,
      kind: 'ClusterGenerator',
      metadata: { name: CLUSTER_GEN },
      spec: { kind: 'Password', generator: { passwordSpec: { length: 40, noUpper: true } } },
    },
    {
      apiVersion: GV,
      kind: 'ClusterGenerator',
      metadata: { name: CLUSTER_MFA },
      spec: {
        kind: 'MFA',
        generator: { mfaSpec: { secret: { name: 'seed', key: 'totp' }, when: '1970-01-01T00:00:59Z' } },
      },
    },
  );
  apply(
    genEs('password', [
      // One generator used twice: two values, told apart by a rewrite.
      { ...ref('Password', 'pw'), rewrite: [{ regexp: { source: '^password$', target: 'first' } }] },
      { ...ref('Password', 'pw'), rewrite: [{ regexp: { source: '^password$', target: 'second' } }] },
    ]),
    genEs('password-keys', [ref('Password', 'pw-keys')]),
    genEs('password-fast', [ref('Password', 'pw')], { refreshInterval: '3s' }),
    genEs('ids', [ref('UUID', 'id'), ref('Fake', 'fake')]),
    genEs('ssh-rsa', [ref('SSHKey', 'ssh-rsa')]),
    genEs('ssh-ed', [ref('SSHKey', 'ssh-ed')]),
    genEs('ssh-ec', [ref('SSHKey', 'ssh-ec')]),
    genEs('totp', [
      { ...ref('MFA', 'totp-pinned'), rewrite: [{ regexp: { source: '^', target: 'pinned-' } }] },
      ref('MFA', 'totp'),
    ]),
    genEs('hook', [ref('Webhook', 'hook')]),
    genEs('ecr', [ref('ECRAuthorizationToken', 'ecr')]),
    genEs('sts', [ref('STSSessionToken', 'sts')]),
    genEs('kv-v1', [ref('VaultDynamicSecret', 'kv-v1')]),
    genEs('gitlab', [ref('GitlabDeployToken', 'gitlab')], { refreshInterval: '4s' }),
    genEs('grafana', [ref('Grafana', 'grafana')]),
    genEs('acr', [ref('ACRAccessToken', 'acr')]),
    genEs('bt', [ref('BeyondtrustWorkloadCredentialsDynamicSecret', 'bt')]),
    genEs('gcr', [ref('GCRAccessToken', 'gcr')]),
    genEs('github', [ref('GithubAccessToken', 'github')]),
    genEs('quay', [ref('QuayAccessToken', 'quay')]),
    genEs('cloudsmith', [ref('CloudsmithAccessToken', 'cloudsmith')]),
    genEs('cluster', [
      ref('ClusterGenerator', CLUSTER_GEN),
      { ...ref('ClusterGenerator', CLUSTER_MFA), rewrite: [{ regexp: { source: '^', target: 'mfa-' } }] },
    ]),
    genEs(
      'cluster',
      [
        ref('ClusterGenerator', CLUSTER_GEN),
        { ...ref('ClusterGenerator', CLUSTER_MFA), rewrite: [{ regexp: { source: '^', target: 'mfa-' } }] },
      ],
      {},
      ns2,
    ),
  );
}, 90_000);

afterAll(async () => {
  remove('clustergenerator', undefined, CLUSTER_GEN);
  remove('clustergenerator', undefined, CLUSTER_MFA);
  await bao('DELETE', `sys/mounts/${kvMount}`).catch(() => undefined);
  await new Promise<void>((r) => https.close(() => r()));
  if (caFile) rmSync(dirname(caFile), { recursive: true, force: true });
  await finishSuite(op);
  await assertNoSecretLeaks(generated);
});

describe('the CRDs', () => {
  it('accept a manifest of every generator kind ESO 2.9 has', () => {
    const sel = { name: 'x', key: 'k' };
    const sa = { name: 'sa' };
    const manifests = [
      gen('ACRAccessToken', 'acr-min', { registry: 'r.azurecr.io', auth: { managedIdentity: {} } }),
      gen('BeyondtrustWorkloadCredentialsDynamicSecret', 'bt-min', {
        provider: {
          auth: { apikey: { token: sel } },
          server: { apiUrl: 'https://bt', siteId: 's' },
          folderPath: 'a/b',
        },
      }),
      gen('CloudsmithAccessToken', 'cs', { orgSlug: 'o', serviceSlug: 's', serviceAccountRef: sa }),
      gen('GCRAccessToken', 'gcr', {
        projectID: 'p',
        auth: { secretRef: { secretAccessKeySecretRef: sel } },
      }),
      gen('GithubAccessToken', 'gh', {
        appID: '1',
        installID: '2',
        auth: { privateKey: { secretRef: sel } },
      }),
      gen('GitlabDeployToken', 'gl', {
        name: 'n',
        projectID: '1',
        scopes: ['read_registry'],
        auth: { token: { secretRef: sel } },
      }),
      gen('QuayAccessToken', 'quay', { robotAccount: 'org+bot', serviceAccountRef: sa }),
      // ESO's defaults (length 24, noUpper, allowRepeat) are not required here.
      gen('Password', 'pw-min', {}),
      {
        apiVersion: GV,
        kind: 'GeneratorState',
        metadata: { name: 'gs', namespace: ns },
        spec: { resource: { kind: 'Grafana' }, state: { id: 1 } },
      },
    ];
    for (const m of manifests) expect({ m, r: tryApply(m) }).toEqual({ m, r: { ok: true } });
    const twoSpecs = {
      apiVersion: GV,
      kind: 'ClusterGenerator',
      metadata: { name: `bad-${sfx}` },
      spec: { kind: 'UUID', generator: { uuidSpec: {}, fakeSpec: {} } },
    };
    const r = tryApply(twoSpecs);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/exactly one spec/);
  });
});

describe('local generators', () => {
  it('Password: the asked-for classes, and one generator used twice gives two values', async () => {
    await waitEs(ns, 'password');
    const d = await values('password');
    expect(Object.keys(d).sort()).toEqual(['first', 'second']);
    for (const p of [d.first!, d.second!]) {
      expect(p).toHaveLength(32);
      expect(p.replace(/[^0-9]/g, '')).toHaveLength(6);
      expect(p.replace(/[^-_+=]/g, '')).toHaveLength(4);
      expect(new Set(p).size).toBe(32);
    }
    expect(d.first).not.toBe(d.second);
    await waitEs(ns, 'password-keys');
    const k = await values('password-keys');
    expect(Object.keys(k).sort()).toEqual(['a', 'b']);
    expect(k.a).toMatch(/^[0-9a-f]{40}$/);
    expect(k.a).not.toBe(k.b);
  });

  it('UUID and Fake', async () => {
    await waitEs(ns, 'ids');
    const d = await values('ids');
    expect(d.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(d).toMatchObject({ user: 'admin', mode: 'test' });
  });

  it('SSHKey: OpenSSH private keys that ssh-keygen reads, authorized_keys public keys', async () => {
    const keygen = ['/usr/bin/ssh-keygen', '/bin/ssh-keygen'].find((p) => existsSync(p));
    const dir = mkdtempSync(join(tmpdir(), 'gen-ssh-'));
    try {
      for (const [name, type, comment] of [
        ['ssh-rsa', 'ssh-rsa', ' deploy@e2e'],
        ['ssh-ed', 'ssh-ed25519', ' ed@e2e'],
        ['ssh-ec', 'ecdsa-sha2-nistp384', ''],
      ] as const) {
        await waitEs(ns, name);
        const d = await values(name);
        expect(d.privateKey).toMatch(
          /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/,
        );
        expect(d.publicKey).toMatch(new RegExp(`^${type} [A-Za-z0-9+/]+=*${comment}\\n$`));
        if (keygen) {
          writeFileSync(join(dir, name), d.privateKey!, { mode: 0o600 });
          const derived = execFileSync(keygen, ['-y', '-f', join(dir, name)], { encoding: 'utf8' });
          expect(derived.trim().split(' ').slice(0, 2)).toEqual(d.publicKey!.trim().split(' ').slice(0, 2));
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('MFA: the RFC 6238 token at a pinned time, and a current 8-digit token', async () => {
    await waitEs(ns, 'totp');
    const d = await values('totp');
    expect(d['pinned-token']).toBe('287082');
    expect(d['pinned-timeLeft']).toBe('1');
    expect(d.token).toMatch(/^\d{8}$/);
    expect(Number(d.timeLeft)).toBeGreaterThan(0);
    expect(Number(d.timeLeft)).toBeLessThanOrEqual(30);
  });
});

describe('Webhook', () => {
  it('calls the HTTPS server with templated url, headers and body, and maps result.jsonPath', async () => {
    await waitEs(ns, 'hook');
    const d = await values('hook');
    expect(d.apiKey).toMatch(new RegExp(`^key-${sfx}-\\d+-x{8}$`));
    expect(d.serial).toMatch(/^\d+$/);
    expect(d.scopes).toBe('["a","b"]');
    const req = webhookSeen.find((r) => r.headers.authorization === `Bearer ${webhookToken}`);
    expect(req?.url).toBe(`/issue?team=${webhookToken.length}`);
    expect(req?.body).toBe('{"for":"e2e"}');
  });

  it('never sends credentials over plain http without --allow-insecure-credentials', async () => {
    // The suite's operator has the opt-in (OpenBao and moto speak plain HTTP here), so a second
    // one without it serves this ExternalSecret: its store names that operator's controller
    // class, which the first operator leaves alone (a Webhook generator has no class of its own).
    const strictNs = newNamespace('e2e-gen-strict');
    apply(
      // Labelled as ESO requires, so the TLS rule is what stops the call.
      plainSecret(
        strictNs,
        'hook-creds',
        { token: webhookToken },
        { labels: { 'external-secrets.io/type': 'webhook' } },
      ),
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'strict', namespace: strictNs },
        spec: { controller: 'strict', provider: { fake: { data: [] } } },
      },
      gen(
        'Webhook',
        'hook-plain',
        {
          url: `${httpsUrl.replace('https:', 'http:')}/issue`,
          headers: { Authorization: 'Bearer {{ .creds.token }}' },
          result: {},
          secrets: [{ name: 'creds', secretRef: { name: 'hook-creds', key: 'token' } }],
        },
        strictNs,
      ),
      genEs('hook-plain', [ref('Webhook', 'hook-plain')], { secretStoreRef: { name: 'strict' } }, strictNs),
    );
    const strict = await startOperator({
      name: 'generators-strict',
      // Only its namespace: generator-only ExternalSecrets (no store, generators without a
      // controller class) are every operator's, as in ESO, and two operators issuing the suite's
      // GitLab tokens at once would leave one untracked.
      args: [...OPERATOR_ARGS, '--controller-class', 'strict', '--namespace', strictNs],
      env: operatorEnv(),
      insecureCredentials: false,
    });
    try {
      const seenBefore = webhookSeen.length;
      const es = await waitEs(strictNs, 'hook-plain', { status: 'False' });
      const cond = es.status?.conditions?.find((c: { type: string }) => c.type === 'Ready');
      expect(cond?.message).toMatch(
        /spec\.url http:\/\/127\.0\.0\.1:\d+ is plain HTTP: Syncret sends credentials only over TLS/,
      );
      expect(await secretData(strictNs, 'hook-plain')).toBeUndefined();
      // other webhook ExternalSecrets keep refreshing (at /issue?team=...); this one never called
      expect(webhookSeen.slice(seenBefore).filter((r) => r.url === '/issue')).toEqual([]);
    } finally {
      await strict.stop();
    }
  });
});

describe('AWS generators (moto)', () => {
  it('ECRAuthorizationToken: a registry login', async () => {
    await waitEs(ns, 'ecr');
    const d = await values('ecr');
    expect(Object.keys(d).sort()).toEqual(['expires_at', 'password', 'proxy_endpoint', 'username']);
    // moto's token is base64("AWS:<account>-auth-token"), expiring at a fixed time.
    expect(d.username).toBe('AWS');
    expect(d.password).toMatch(/^\d{12}-auth-token$/);
    expect(d.proxy_endpoint).toMatch(/^https:\/\/\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com$/);
    expect(d.expires_at).toBe(String(Date.UTC(2015, 0, 1) / 1000));
  });

  it('STSSessionToken: temporary credentials', async () => {
    await waitEs(ns, 'sts');
    const d = await values('sts');
    expect(Object.keys(d).sort()).toEqual([
      'access_key_id',
      'expiration',
      'secret_access_key',
      'session_token',
    ]);
    expect(d.access_key_id).toMatch(/^[A-Z0-9]{16,}$/);
    expect(Number(d.expiration)).toBeGreaterThan(Date.now() / 1000);
  });
});

describe('VaultDynamicSecret.getParameters (OpenBao)', () => {
  it('sends the query of a GET: version 1 of a KV v2 secret', async () => {
    await waitEs(ns, 'kv-v1');
    expect(await values('kv-v1')).toEqual({ value: kvV1 });
  });
});

describe('ClusterGenerator', () => {
  it('serves ExternalSecrets of every namespace, resolving references in each', async () => {
    await waitEs(ns, 'cluster');
    await waitEs(ns2, 'cluster');
    const a = await values('cluster');
    const b = await values('cluster', ns2);
    expect(a.password).toMatch(/^[^A-Z]{40}$/);
    expect(a.password).not.toBe(b.password);
    // Each namespace's own seed Secret: the RFC seed in one, another seed in the other.
    expect(a['mfa-token']).toBe('287082');
    expect(b['mfa-token']).toMatch(/^\d{6}$/);
    expect(b['mfa-token']).not.toBe('287082');
  });
});

describe('token exchanges against a local server speaking their documented APIs', () => {
  it('GithubAccessToken: an app JWT (RS256, iss = appID) exchanged for an installation token', async () => {
    await waitEs(ns, 'github');
    expect(await values('github')).toEqual({ token: githubToken });
    const req = webhookSeen.find((r) => r.url === '/app/installations/42/access_tokens');
    expect(JSON.parse(req?.body ?? '{}')).toEqual({
      repositories: ['app'],
      permissions: { contents: 'read' },
    });
  });

  it('QuayAccessToken and CloudsmithAccessToken: a ServiceAccount token exchanged', async () => {
    await waitEs(ns, 'quay');
    const host = httpsUrl.replace('https://', '');
    expect(await values('quay')).toEqual({
      registry: host,
      auth: Buffer.from(`org+bot:${quayToken}`).toString('base64'),
      expiry: '1900000000',
    });
    await waitEs(ns, 'cloudsmith');
    expect(await values('cloudsmith')).toEqual({
      auth: Buffer.from(`token:${cloudsmithToken}`).toString('base64'),
      expiry: '1900000001',
    });
  });
});

describe('GCRAccessToken (GKE workload identity at a local STS)', () => {
  it('exchanges the ServiceAccount token for a registry access token', async () => {
    await waitEs(ns, 'gcr');
    const d = await values('gcr');
    expect(d).toMatchObject({ username: 'oauth2accesstoken', password: gcpToken });
    expect(Number(d.expiry)).toBeGreaterThan(Date.now() / 1000 + 3000);
  });
});

describe('tokens that must be deleted when replaced (GitLab, Grafana)', () => {
  it('GitlabDeployToken: a new deploy token per refresh, the replaced one deleted, the last one on deletion', async () => {
    await waitEs(ns, 'gitlab');
    const first = await values('gitlab');
    expect(first).toMatchObject({ username: expect.stringMatching(/^gitlab\+deploy-token-\d+$/) });
    const firstId = Number(/-(\d+)-token$/.exec(first.token ?? '')?.[1]);
    await waitFor(
      'a new deploy token after the 4s refresh, and the first one deleted',
      async () => (await values('gitlab')).token !== first.token && gitlabTokens.get(firstId) === false,
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    const status = (await getEs(ns, 'gitlab'))?.status as { generatorLeases?: object[] } | undefined;
    const lease = status?.generatorLeases?.[0];
    expect(lease).toMatchObject({
      revokeOnly: true,
      leaseID: expect.stringMatching(/^projects\/group%2Fapp\/deploy_tokens\/\d+$/),
    });
    remove('externalsecret', ns, 'gitlab');
    await waitFor(
      'every deploy token deleted once the ExternalSecret is gone',
      async () => !(await getEs(ns, 'gitlab')) && [...gitlabTokens.values()].every((live) => !live),
    );
  });

  it('Grafana: a service account found or created, a token issued, deleted with the ExternalSecret', async () => {
    await waitEs(ns, 'grafana');
    const d = await values('grafana');
    expect(d.login).toBe('sa-e2e-sa');
    expect(d.token).toMatch(new RegExp(`^glsa_${sfx}_\\d+_key$`));
    expect([...grafanaTokens.values()].filter(Boolean)).toHaveLength(1);
    remove('externalsecret', ns, 'grafana');
    await waitFor(
      'the Grafana token deleted once the ExternalSecret is gone',
      async () => !(await getEs(ns, 'grafana')) && [...grafanaTokens.values()].every((live) => !live),
    );
  });
});

describe('ACRAccessToken (Entra ID of the Key Vault test server, a local registry)', () => {
  it('exchanges a service principal token for a refresh token, then a scoped access token', async () => {
    await waitEs(ns, 'acr');
    expect(await values('acr')).toEqual({
      username: '00000000-0000-0000-0000-000000000000',
      password: acrAccess,
    });
  });
});

describe("BeyondtrustWorkloadCredentialsDynamicSecret (a local server speaking ESO's client calls)", () => {
  it('generates a dynamic secret of a folder, with the API key and version header', async () => {
    await waitEs(ns, 'bt');
    expect(await values('bt')).toEqual({
      accessKeyId: 'ASIABEYONDTRUST',
      secretAccessKey: btSecret,
      leaseId: 'lease-1',
      expiration: '2030-01-01T00:00:00Z',
    });
  });
});

describe('stability', () => {
  it('re-generates when the refreshInterval says so, and only then', async () => {
    await waitEs(ns, 'password-fast');
    const first = (await values('password-fast')).password;
    const changed = await waitFor(
      'a new password after the 3s refresh interval',
      async () => {
        const now = (await values('password-fast')).password;
        return now !== first ? now : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500 },
    );
    expect(changed).toHaveLength(32);
    remove('externalsecret', ns, 'password-fast');
  });

  it('keeps the values across an operator restart (no new generation)', async () => {
    const before = { pw: await values('password'), ssh: await values('ssh-ed'), ids: await values('ids') };
    const refreshed = (await getEs(ns, 'password'))?.status?.refreshTime;
    await op.stop();
    op = await startOperator({ name: 'generators-2', args: OPERATOR_ARGS, env: operatorEnv() });
    await waitFor(
      'the restarted operator to look at the ExternalSecrets',
      async () => (await op.metric('syncret_sync_total', { result: 'skipped' })) >= 5,
      {
        timeoutMs: 30_000,
      },
    );
    expect(await values('password')).toEqual(before.pw);
    expect(await values('ssh-ed')).toEqual(before.ssh);
    expect(await values('ids')).toEqual(before.ids);
    expect((await getEs(ns, 'password'))?.status?.refreshTime).toBe(refreshed);
    for (const provider of ['password', 'sshkey', 'uuid'])
      expect(await op.metric('syncret_provider_calls_total', { provider, operation: 'generate' })).toBe(0);
  });
});
