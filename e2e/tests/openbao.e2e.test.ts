// OpenBao under ESO 2.9's own key (provider.openBao), metadataPolicy Fetch with KV v2's system
// metadata, and Vault's AWS iam login, on the real OpenBao and moto.
//
// OpenBao 2.7 ships no AWS auth method (it is an external plugin there), so the iam login is
// answered by a small front in this file, which does what Vault's aws auth backend does with
// the login: it checks the SigV4 signature of the request the operator signed (recomputed with
// botocore from moto's Python environment, an implementation independent of Syncret's),
// requires X-Vault-AWS-IAM-Server-ID to be signed, sends the request to moto's STS, binds the
// caller ARN STS answers with, and only then mints a real OpenBao token. Every other request
// goes to OpenBao unchanged.

import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  newNamespace,
  plainSecret,
  secretData,
  waitEs,
  waitReady,
} from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { bao, enableAuth, kv2Put, mountKv, policy, suffix } from '../lib/vault.js';
import { ACCOUNT, iamUserWithoutPolicies, motoUrl, operatorAwsEnv, roleArn } from './aws-moto.js';

let op: OperatorHandle;
let ns: string;
let front: Server;
let frontUrl = '';
const sfx = suffix();
const kv = `kv-bao-${sfx}`;
const kv1 = `kv1-bao-${sfx}`;
const awsMount = `aws-${sfx}`;
const userpass = `userpass-${sfx}`;
const reader = `bao-read-${sfx}`;
const SERVER_ID = 'vault.e2e.example';
const v = {
  db: secretValue('db'),
  legacy: secretValue('legacy'),
  password: secretValue('userpass'),
  token: secretValue('token'),
};
/** IAM users' keys, by access key ID: their secrets check the signatures. */
const keys = new Map<string, string>();
/** What the front saw of each login, for the assertions. */
const logins: { arn: string; role: string; signedHeaders: string }[] = [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => resolve(b));
  });
}

/** The secret of an access key: an IAM user's from the test, a session's from moto's state. */
async function secretOf(keyId: string): Promise<string | undefined> {
  const known = keys.get(keyId);
  if (known) return known;
  const state = (await (await fetch(`${motoUrl()}/moto-api/data.json`)).json()) as {
    sts?: { AssumedRole?: { access_key_id: string; secret_access_key: string }[] };
  };
  return state.sts?.AssumedRole?.find((r) => r.access_key_id === keyId)?.secret_access_key;
}

/** botocore's SigV4 over the request as Vault would forward it: does it match the one sent? */
async function signatureValid(
  url: string,
  headers: Record<string, string[]>,
  body: string,
): Promise<boolean> {
  const auth = headers.Authorization?.[0] ?? '';
  const keyId = /Credential=([^/]+)\//.exec(auth)?.[1] ?? '';
  const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(auth)?.[1] ?? '';
  const secret = await secretOf(keyId);
  if (!secret) return false;
  const script = `
import json, sys
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
r = json.load(sys.stdin)
h = {k: v[0] for k, v in r['headers'].items() if k != 'Authorization'}
req = AWSRequest(method='POST', url=r['url'], data=r['body'], headers=h)
req.context['timestamp'] = h['X-Amz-Date']
a = SigV4Auth(Credentials(r['key'], r['secret'], h.get('X-Amz-Security-Token')), 'sts', r['region'])
print(a.signature(a.string_to_sign(req, a.canonical_request(req)), req))
`;
  const python = `${serverVar('MOTO_VENV')}/bin/python`;
  const out = spawnSync(python, ['-c', script], {
    input: JSON.stringify({ url, headers, body, key: keyId, secret, region }),
    encoding: 'utf8',
  });
  return out.status === 0 && auth.endsWith(`Signature=${out.stdout.trim()}`);
}

/** Vault's aws auth backend, for one role bound to `boundArn`, in front of OpenBao. */
function awsLogin(role: string, boundArn: string) {
  return async (raw: string): Promise<{ status: number; body: unknown }> => {
    const login = JSON.parse(raw) as Record<string, string>;
    const dec = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');
    const url = dec(login.iam_request_url);
    const body = dec(login.iam_request_body);
    const headers = JSON.parse(dec(login.iam_request_headers) || '{}') as Record<string, string[]>;
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.Authorization?.[0] ?? '')?.[1] ?? '';
    const deny = (why: string) => ({ status: 400, body: { errors: [why] } });
    if (login.role !== role) return deny(`entry for role ${login.role} not found`);
    if (login.iam_http_request_method !== 'POST' || body !== 'Action=GetCallerIdentity&Version=2011-06-15')
      return deny('not a GetCallerIdentity request');
    if (
      headers['X-Vault-Aws-Iam-Server-Id']?.[0] !== SERVER_ID ||
      !signedHeaders.includes('x-vault-aws-iam-server-id')
    )
      return deny('missing or unsigned X-Vault-AWS-IAM-Server-ID header');
    if (!(await signatureValid(url, headers, body))) return deny('signature does not match');
    const sts = await fetch(motoUrl(), {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(headers).map(([k, vs]) => [k, vs[0] ?? ''])),
      body,
    });
    const arn = /<Arn>([^<]+)<\/Arn>/.exec(await sts.text())?.[1] ?? '';
    logins.push({ arn, role: login.role, signedHeaders });
    if (!sts.ok || arn !== boundArn)
      return deny(`IAM Principal "${arn}" does not belong to the role "${role}"`);
    const token = await bao('POST', 'auth/token/create', { policies: [reader], ttl: '1h' });
    return { status: 200, body: { auth: { ...token.body.auth, renewable: false } } };
  };
}

const routes = new Map<string, (raw: string) => Promise<{ status: number; body: unknown }>>();

async function startFront(): Promise<void> {
  front = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const raw = await readBody(req);
      const route = req.method === 'POST' ? routes.get(req.url ?? '') : undefined;
      if (route) {
        const out = await route(raw);
        res.writeHead(out.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out.body));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, val] of Object.entries(req.headers))
        if (
          typeof val === 'string' &&
          !['host', 'content-length', 'connection', 'transfer-encoding'].includes(k)
        )
          headers[k] = val;
      const up = await fetch(`${serverVar('VAULT_ADDR')}${req.url ?? ''}`, {
        method: req.method,
        headers,
        body: raw === '' ? undefined : raw,
      });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
      res.end(await up.text());
    })();
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  op = await startOperator({ name: 'openbao', env: operatorAwsEnv() });
  ns = newNamespace('e2e-bao');
  await startFront();
  await mountKv(kv, 2);
  await mountKv(kv1, 1);
  await policy(
    reader,
    `path "${kv}/*" { capabilities = ["read", "list"] }\npath "${kv1}/*" { capabilities = ["read"] }`,
  );
  await kv2Put(kv, 'db', { password: 'first' });
  await kv2Put(kv, 'db', { password: v.db }, { team: 'payments' });
  await bao('POST', `${kv1}/legacy`, { value: v.legacy });
  await enableAuth(userpass, 'userpass');
  await bao('POST', `auth/${userpass}/users/syncret`, { password: v.password, token_policies: [reader] });
  await bao('POST', 'auth/token/create', { id: v.token, policies: [reader], ttl: '1h' });
  apply(plainSecret(ns, 'bao', { password: v.password, token: v.token }));
});

afterAll(async () => {
  await new Promise<void>((r) => front.close(() => r()));
  await finishSuite(op);
});

const store = (name: string, provider: object) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'SecretStore',
  metadata: { name, namespace: ns },
  spec: { provider },
});

describe('provider.openBao', () => {
  it('logs in with userpass and reads KV v2; reads KV v1 with a token', async () => {
    apply(
      store('bao-v2', {
        openBao: {
          server: serverVar('VAULT_ADDR'),
          path: kv,
          version: 'v2',
          auth: {
            userPass: { path: userpass, username: 'syncret', secretRef: { name: 'bao', key: 'password' } },
          },
        },
      }),
      store('bao-v1', {
        openBao: {
          server: serverVar('VAULT_ADDR'),
          path: kv1,
          version: 'v1',
          auth: { tokenSecretRef: { name: 'bao', key: 'token' } },
        },
      }),
    );
    await waitReady('secretstores', ns, 'bao-v2');
    await waitReady('secretstores', ns, 'bao-v1');
    apply(
      externalSecret(ns, 'bao-read', {
        secretStoreRef: { name: 'bao-v2' },
        data: [
          { secretKey: 'password', remoteRef: { key: 'db', property: 'password' } },
          {
            secretKey: 'legacy',
            remoteRef: { key: 'legacy', property: 'value' },
            sourceRef: { storeRef: { name: 'bao-v1' } },
          },
        ],
      }),
    );
    await waitEs(ns, 'bao-read');
    expect(await secretData(ns, 'bao-read')).toEqual({ password: v.db, legacy: v.legacy });
  });

  it('refuses plain http without the operator opt-in, naming the openBao field', async () => {
    const strict = await startOperator({
      name: 'openbao-strict',
      insecureCredentials: false,
      args: ['--controller-class', 'strict'],
    });
    try {
      const openBao = {
        server: serverVar('VAULT_ADDR'),
        path: kv,
        auth: { tokenSecretRef: { name: 'bao', key: 'token' } },
      };
      apply({ ...store('bao-strict', {}), spec: { controller: 'strict', provider: { openBao } } });
      await waitReady('secretstores', ns, 'bao-strict', {
        status: 'False',
        message: /spec\.provider\.openBao\.server http:\/\/127\.0\.0\.1:\d+ is plain HTTP/,
      });
    } finally {
      await strict.stop();
    }
  });
});

describe('metadataPolicy Fetch', () => {
  it("exposes KV v2's created_time, current_version and delete_version_after beside custom metadata", async () => {
    apply(
      store('vault-meta', {
        vault: {
          server: serverVar('VAULT_ADDR'),
          path: kv,
          auth: { tokenSecretRef: { name: 'bao', key: 'token' } },
        },
      }),
      externalSecret(ns, 'meta', {
        secretStoreRef: { name: 'vault-meta' },
        data: [
          {
            secretKey: 'version',
            remoteRef: { key: 'db', property: 'current_version', metadataPolicy: 'Fetch' },
          },
        ],
        dataFrom: [{ extract: { key: 'db', metadataPolicy: 'Fetch' } }],
      }),
    );
    await waitEs(ns, 'meta');
    const d = (await secretData(ns, 'meta'))!;
    expect(d.version).toBe('2');
    expect(d.team).toBe('payments');
    expect(d.delete_version_after).toBe('0s');
    expect(Date.parse(d.created_time!)).toBeGreaterThan(Date.now() - 3600_000);
    expect(d.password).toBeUndefined();
  });
});

describe('auth.iam (Vault AWS login)', () => {
  it('logs in with a signed GetCallerIdentity from static keys, and with an assumed role', async () => {
    const user = `vault-iam-${sfx}`;
    const k = await iamUserWithoutPolicies(user);
    keys.set(k.id, k.secret);
    routes.set(`/v1/auth/${awsMount}/login`, awsLogin('app', `arn:aws:iam::${ACCOUNT}:user/${user}`));
    routes.set(
      `/v1/auth/${awsMount}-role/login`,
      awsLogin('app', `arn:aws:sts::${ACCOUNT}:assumed-role/vault-login/syncret`),
    );
    apply(plainSecret(ns, 'aws-keys', { id: k.id, secret: k.secret }));
    const iamStore = (name: string, iam: object) =>
      store(name, {
        vault: {
          server: frontUrl,
          path: kv,
          auth: { iam: { vaultAwsIamServerID: SERVER_ID, vaultRole: 'app', ...iam } },
        },
      });
    const secretRef = {
      accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' },
      secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' },
    };
    apply(
      iamStore('iam-keys', { path: awsMount, secretRef }),
      iamStore('iam-role', {
        path: `${awsMount}-role`,
        secretRef,
        role: roleArn('vault-login'),
        region: 'us-east-1',
      }),
    );
    await waitReady('secretstores', ns, 'iam-keys');
    await waitReady('secretstores', ns, 'iam-role');
    apply(
      externalSecret(ns, 'iam', {
        secretStoreRef: { name: 'iam-keys' },
        data: [
          { secretKey: 'a', remoteRef: { key: 'db', property: 'password' } },
          {
            secretKey: 'b',
            remoteRef: { key: 'db', property: 'password' },
            sourceRef: { storeRef: { name: 'iam-role' } },
          },
        ],
      }),
    );
    await waitEs(ns, 'iam');
    expect(await secretData(ns, 'iam')).toEqual({ a: v.db, b: v.db });
    expect(logins.map((l) => l.arn)).toEqual(
      expect.arrayContaining([
        `arn:aws:iam::${ACCOUNT}:user/${user}`,
        `arn:aws:sts::${ACCOUNT}:assumed-role/vault-login/syncret`,
      ]),
    );
    // The static keys sign no session token; the assumed role's credentials do.
    expect(new Set(logins.map((l) => l.signedHeaders))).toEqual(
      new Set([
        'content-type;host;x-amz-date;x-vault-aws-iam-server-id',
        'content-type;host;x-amz-date;x-amz-security-token;x-vault-aws-iam-server-id',
      ]),
    );
  });

  it('reports a rejected login with the reason Vault gives', async () => {
    apply(
      store('iam-wrong', {
        vault: {
          server: frontUrl,
          path: kv,
          auth: {
            iam: {
              path: awsMount,
              vaultRole: 'other',
              vaultAwsIamServerID: SERVER_ID,
              secretRef: {
                accessKeyIDSecretRef: { name: 'aws-keys', key: 'id' },
                secretAccessKeySecretRef: { name: 'aws-keys', key: 'secret' },
              },
            },
          },
        },
      }),
    );
    await waitReady('secretstores', ns, 'iam-wrong', {
      status: 'False',
      message: new RegExp(
        `Vault login at auth/${awsMount}/login failed \\(400\\): entry for role other not found`,
      ),
    });
  });
});
