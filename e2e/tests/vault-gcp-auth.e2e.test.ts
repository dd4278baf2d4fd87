// Vault's gcp auth (provider.vault.auth.gcp) end to end through the operator. OpenBao has no gcp
// auth method and Vault's verifies against Google, so a local server plays Vault's login and KV
// endpoints and checks each login JWT the way Vault's gcp plugin does (an RS256 signature by a
// key of the named service account, found by kid; aud ending in vault/ROLE; sub bound to the
// role; an expiry at most 15 minutes ahead), and also plays Google's STS, IAM Credentials
// (generateAccessToken, signJwt) and the GCE metadata server. Proven here: the key read from a
// Secret and the JWT built from it, the workload identity chain to signJwt, the metadata
// server's identity token, the login request, its token used for reads, and Vault's refusal
// reported without values. Not proven: Vault's real plugin and Google's real endpoints.

import { createSign, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apply, externalSecret, newNamespace, plainSecret, secretData, waitEs } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const project = `e2e-${randomBytes(4).toString('hex')}`;
const READER = `reader@${project}.iam.gserviceaccount.com`;
const STRANGER = `stranger@${project}.iam.gserviceaccount.com`;
const GSA = `wi-target@${project}.iam.gserviceaccount.com`;
const value = secretValue('gcp-auth');

let op: OperatorHandle;
let ns: string;
let server: Server;
let base = '';

/** Public keys Vault would fetch from Google, by service account and key id. */
const publicKeys = new Map<string, KeyObject>();
const googleKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const logins: { role: string; sub: string; aud: string; kid: string }[] = [];
const tokens = new Set<string>();
/** Vault's roles: which accounts each binds (iam), or the instance account (gce). */
const ROLES: Record<string, string[]> = { 'iam-role': [READER, GSA], 'gce-role': ['gce'] };

function keyJson(email: string, kid: string): string {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  publicKeys.set(`${email}/${kid}`, publicKey);
  return JSON.stringify({
    type: 'service_account',
    project_id: project,
    private_key_id: kid,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: email,
    client_id: '1',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
}

function googleSigned(claims: object, kid = 'g1'): string {
  const h = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid })).toString('base64url');
  const c = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const sig = createSign('RSA-SHA256').update(`${h}.${c}`).sign(googleKey.privateKey).toString('base64url');
  return `${h}.${c}.${sig}`;
}

/** Vault's gcp plugin's checks of a login JWT; the reason when it refuses. */
function verifyLogin(role: string, jwt: string): string | undefined {
  const [h = '', c = '', sig = ''] = jwt.split('.');
  const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; kid?: string };
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>;
  const gce = role === 'gce-role';
  const sub = String(claims.sub ?? '');
  const key = gce || sub === GSA ? googleKey.publicKey : publicKeys.get(`${sub}/${head.kid}`);
  if (head.alg !== 'RS256' || !key) return 'unknown signing key';
  if (!createVerify('RSA-SHA256').update(`${h}.${c}`).verify(key, Buffer.from(sig, 'base64url')))
    return 'invalid signature';
  if (!String(claims.aud ?? '').endsWith(`vault/${role}`))
    return `at least one of the JWT claim 'aud' must end in "vault/${role}"`;
  const exp = Number(claims.exp);
  const now = Date.now() / 1000;
  if (!(exp > now) || exp - now > 15 * 60 + 60) return 'JWT expires too late or has expired';
  if (!gce && !ROLES[role]?.includes(sub)) return `service account ${sub} is not authorized for role`;
  logins.push({ role, sub, aud: String(claims.aud), kid: head.kid ?? '' });
  return undefined;
}

function serve(req: IncomingMessage, res: ServerResponse, text: string): void {
  const reply = (status: number, obj: object | string) => {
    res.writeHead(status, { 'content-type': typeof obj === 'string' ? 'text/plain' : 'application/json' });
    res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
  };
  const url = req.url ?? '';
  // Vault
  const login = /^\/v1\/auth\/(gcp|gcp-other)\/login$/.exec(url);
  if (req.method === 'POST' && login) {
    const { role, jwt } = JSON.parse(text) as { role?: string; jwt?: string };
    if (!role || !ROLES[role]) return reply(400, { errors: [`role "${role}" not found`] });
    const why = verifyLogin(role, jwt ?? '');
    if (why) return reply(400, { errors: [why] });
    const token = `hvs.${randomBytes(12).toString('hex')}`;
    tokens.add(token);
    return reply(200, { auth: { client_token: token, lease_duration: 3600, renewable: true } });
  }
  const token = String(req.headers['x-vault-token'] ?? '');
  if (url.startsWith('/v1/auth/token/')) {
    if (!tokens.has(token)) return reply(403, { errors: ['permission denied'] });
    if (url.endsWith('/revoke-self')) tokens.delete(token);
    return reply(200, {
      data: { ttl: 3600, renewable: true },
      auth: { client_token: token, lease_duration: 3600 },
    });
  }
  if (req.method === 'GET' && url === '/v1/secret/data/app') {
    if (!tokens.has(token)) return reply(403, { errors: ['permission denied'] });
    return reply(200, { data: { data: { password: value }, metadata: { version: 1 } } });
  }
  // Google: STS, IAM Credentials, the GCE metadata server
  if (req.method === 'POST' && url === '/v1/token') {
    const form = Object.fromEntries(new URLSearchParams(text));
    const sub = JSON.parse(
      Buffer.from((form.subject_token ?? '').split('.')[1] ?? '', 'base64url').toString(),
    ) as {
      aud?: string | string[];
    };
    if (!([] as unknown[]).concat(sub.aud).includes(`${project}.svc.id.goog`))
      return reply(400, { error: 'invalid_grant' });
    return reply(200, { access_token: 'federated-token', token_type: 'Bearer', expires_in: 3600 });
  }
  const iam = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):(generateAccessToken|signJwt)$/.exec(url);
  if (req.method === 'POST' && iam) {
    const who = decodeURIComponent(iam[1]!);
    if (iam[2] === 'generateAccessToken') {
      if (req.headers.authorization !== 'Bearer federated-token')
        return reply(401, { error: { status: 'UNAUTHENTICATED' } });
      return reply(200, {
        accessToken: `gsa-token/${who}`,
        expireTime: new Date(Date.now() + 3600_000).toISOString(),
      });
    }
    if (req.headers.authorization !== `Bearer gsa-token/${who}`)
      return reply(403, { error: { status: 'PERMISSION_DENIED' } });
    const payload = JSON.parse((JSON.parse(text) as { payload: string }).payload) as { sub?: string };
    if (payload.sub !== who) return reply(400, { error: { status: 'INVALID_ARGUMENT' } });
    return reply(200, { keyId: 'g1', signedJwt: googleSigned(payload) });
  }
  if (
    req.method === 'GET' &&
    url.startsWith('/computeMetadata/v1/instance/service-accounts/default/identity')
  ) {
    if (req.headers['metadata-flavor'] !== 'Google') return reply(403, 'missing Metadata-Flavor');
    const q = new URL(url, 'http://x').searchParams;
    if (q.get('format') !== 'full') return reply(400, 'format');
    const now = Math.floor(Date.now() / 1000);
    return reply(200, googleSigned({ aud: q.get('audience'), sub: 'gce', iat: now, exp: now + 600 }));
  }
  reply(404, { errors: ['no handler for route'] });
}

function store(name: string, auth: object): object {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: { provider: { vault: { server: base, path: 'secret', version: 'v2', auth: { gcp: auth } } } },
  };
}

function es(name: string, storeName: string): object {
  return externalSecret(ns, name, {
    refreshInterval: '1h',
    secretStoreRef: { name: storeName },
    data: [{ secretKey: 'password', remoteRef: { key: 'app', property: 'password' } }],
  });
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => serve(req, res, text));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  op = await startOperator({
    name: 'vault-gcp-auth',
    env: {
      SYNCRET_GCP_STS_URL: `${base}/v1/token`,
      SYNCRET_GCP_IAM_CREDENTIALS_URL: base,
      GCE_METADATA_HOST: base.replace('http://', ''),
    },
  });
  ns = newNamespace('e2e-vault-gcp');
  apply(
    plainSecret(ns, 'reader-key', { 'key.json': keyJson(READER, 'k-reader') }),
    plainSecret(ns, 'stranger-key', { 'key.json': keyJson(STRANGER, 'k-stranger') }),
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'app-sa', namespace: ns, annotations: { 'iam.gke.io/gcp-service-account': GSA } },
    },
  );
});

afterAll(async () => {
  await finishSuite(op);
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('Vault auth.gcp', () => {
  it('iam login with a service account key (secretRef): a JWT the key signs, for vault/ROLE', async () => {
    apply(
      store('gcp-key', {
        role: 'iam-role',
        secretRef: { secretAccessKeySecretRef: { name: 'reader-key', key: 'key.json' } },
      }),
      es('key', 'gcp-key'),
    );
    await waitEs(ns, 'key');
    expect(await secretData(ns, 'key')).toEqual({ password: value });
    expect(logins).toContainEqual({ role: 'iam-role', sub: READER, aud: 'vault/iam-role', kid: 'k-reader' });
  });

  it('iam login through workload identity: STS, impersonation, then signJwt of the annotated account', async () => {
    apply(
      store('gcp-wi', {
        role: 'iam-role',
        projectID: project,
        workloadIdentity: {
          serviceAccountRef: { name: 'app-sa' },
          clusterLocation: 'europe-west1',
          clusterName: 'c1',
          clusterProjectID: project,
        },
      }),
      es('wi', 'gcp-wi'),
    );
    await waitEs(ns, 'wi');
    expect(await secretData(ns, 'wi')).toEqual({ password: value });
    expect(logins).toContainEqual({ role: 'iam-role', sub: GSA, aud: 'vault/iam-role', kid: 'g1' });
  });

  it("gce login: the metadata server's identity token for SERVER/vault/ROLE", async () => {
    apply(
      store('gcp-gce', { role: 'gce-role', serviceAccountRef: { name: 'app-sa' } }),
      es('gce', 'gcp-gce'),
    );
    await waitEs(ns, 'gce');
    expect(await secretData(ns, 'gce')).toEqual({ password: value });
    expect(logins).toContainEqual({ role: 'gce-role', sub: 'gce', aud: `${base}/vault/gce-role`, kid: 'g1' });
  });

  it("reports Vault's refusal (an account the role does not bind) without the JWT or the key", async () => {
    apply(
      store('gcp-stranger', {
        role: 'iam-role',
        secretRef: { secretAccessKeySecretRef: { name: 'stranger-key', key: 'key.json' } },
      }),
      es('stranger', 'gcp-stranger'),
    );
    const o = await waitEs(ns, 'stranger', { status: 'False' });
    const msg = o.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
    expect(msg).toContain('auth/gcp/login failed (400)');
    expect(msg).toContain(`service account ${STRANGER} is not authorized`);
    expect(msg).not.toMatch(/eyJ|PRIVATE KEY/);
    expect(await secretData(ns, 'stranger')).toBeUndefined();
  });
});
