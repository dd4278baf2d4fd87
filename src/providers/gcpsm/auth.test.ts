// The credential seam: the exact requests each auth path makes, against a local listener
// playing Google's STS, IAM Credentials and metadata server (the real ones are unreachable).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ProviderError } from '../errors.js';
import { applicationDefaultCredential, workloadIdentityCredential } from './auth.js';
import { fakeContext, serviceAccountKey } from './testing.js';
import type { GcpsmProvider } from '../../api/providers/gcpsm.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: Server;
let base: string;
let seen: Seen[] = [];
let answer: (s: Seen) => { status: number; body: object } = () => ({ status: 404, body: {} });

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      const a = answer(s);
      res.writeHead(a.status, { 'content-type': 'application/json', 'metadata-flavor': 'Google' });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  seen = [];
});

const SUBJECT = 'k8s.sa.token-s3cr3t';
const spec: GcpsmProvider = {
  projectID: 'app-proj',
  auth: {
    workloadIdentity: {
      serviceAccountRef: { name: 'app' },
      clusterLocation: 'europe-west1',
      clusterName: 'prod',
      clusterProjectID: 'cluster-proj',
    },
  },
};
const GSA = 'secrets@app-proj.iam.gserviceaccount.com';
const AUD = 'https://secretmanager.googleapis.com/';

function googleLike(s: Seen): { status: number; body: object } {
  if (s.url === '/v1/token')
    return {
      status: 200,
      body: {
        access_token: 'federated-token',
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 3600,
      },
    };
  if (s.url.endsWith(':generateAccessToken'))
    return {
      status: 200,
      body: { accessToken: 'gsa-token', expireTime: new Date(Date.now() + 3600_000).toISOString() },
    };
  return { status: 404, body: {} };
}

describe('workload identity at the seam', () => {
  it('exchanges a TokenRequest token at STS, then impersonates the annotated Google service account', async () => {
    answer = googleLike;
    const ctx = fakeContext({ annotations: { 'iam.gke.io/gcp-service-account': GSA }, saToken: SUBJECT });
    const cred = await workloadIdentityCredential(spec, ctx, {
      stsUrl: `${base}/v1/token`,
      iamCredentialsUrl: base,
    });
    expect((await cred.headers(AUD)).authorization).toBe('Bearer gsa-token');
    expect(ctx.tokenRequests).toEqual([
      { name: 'app', audiences: ['cluster-proj.svc.id.goog'], expirationSeconds: 600 },
    ]);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /v1/token',
      `POST /v1/projects/-/serviceAccounts/${encodeURIComponent(GSA)}:generateAccessToken`,
    ]);
    expect(seen[0]!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(Object.fromEntries(new URLSearchParams(seen[0]!.body))).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience:
        'identitynamespace:cluster-proj.svc.id.goog:https://container.googleapis.com/v1/projects/cluster-proj/locations/europe-west1/clusters/prod',
      scope: 'https://www.googleapis.com/auth/cloud-platform',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: SUBJECT,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    });
    expect(seen[1]!.headers.authorization).toBe('Bearer federated-token');
    expect(JSON.parse(seen[1]!.body)).toEqual({
      scope: ['https://www.googleapis.com/auth/cloud-platform'],
      lifetime: '3600s',
    });
    // The token is cached until near its expiry: no second exchange.
    await cred.headers(AUD);
    expect(seen).toHaveLength(2);
    expect(ctx.tokenRequests).toHaveLength(1);
  });

  it('uses the federated token directly when the ServiceAccount names no Google service account', async () => {
    answer = googleLike;
    const cred = await workloadIdentityCredential(spec, fakeContext({ saToken: SUBJECT }), {
      stsUrl: `${base}/v1/token`,
      iamCredentialsUrl: base,
    });
    expect((await cred.headers(AUD)).authorization).toBe('Bearer federated-token');
    expect(seen.map((s) => s.url)).toEqual(['/v1/token']);
  });

  it('reports a refused exchange with the step and HTTP status, never the subject token', async () => {
    answer = () => ({
      status: 400,
      body: { error: 'invalid_grant', error_description: `bad token ${SUBJECT}` },
    });
    const cred = await workloadIdentityCredential(spec, fakeContext({ saToken: SUBJECT }), {
      stsUrl: `${base}/v1/token`,
      iamCredentialsUrl: base,
    });
    const err = (await cred.headers(AUD).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.reason).toBe('AuthFailed');
    expect(err.message).toBe(
      'workload identity: the STS token exchange was refused (HTTP 400 invalid_grant)',
    );
    expect(err.message).not.toContain(SUBJECT);
  });

  it('reports a refused impersonation (the KSA may not act as the Google service account)', async () => {
    answer = (s) =>
      s.url === '/v1/token'
        ? googleLike(s)
        : { status: 403, body: { error: { code: 403, status: 'PERMISSION_DENIED', message: 'denied' } } };
    const cred = await workloadIdentityCredential(
      spec,
      fakeContext({ annotations: { 'iam.gke.io/gcp-service-account': GSA }, saToken: SUBJECT }),
      { stsUrl: `${base}/v1/token`, iamCredentialsUrl: base },
    );
    await expect(cred.headers(AUD)).rejects.toThrow(
      'workload identity: impersonating the Google service account was refused (HTTP 403 PERMISSION_DENIED)',
    );
  });
});

describe('application default credentials at the seam', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of ['GOOGLE_APPLICATION_CREDENTIALS', 'GCE_METADATA_HOST', 'METADATA_SERVER_DETECTION'])
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
  });

  it('reads a key file named by GOOGLE_APPLICATION_CREDENTIALS (self-signed JWT, no token call)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gcp-adc-'));
    try {
      const file = join(dir, 'key.json');
      writeFileSync(file, serviceAccountKey('adc@app-proj.iam.gserviceaccount.com', `${base}/token`));
      process.env.GOOGLE_APPLICATION_CREDENTIALS = file;
      const h = await applicationDefaultCredential({}).headers(AUD);
      const claims = JSON.parse(
        Buffer.from(h.authorization!.replace(/^Bearer /, '').split('.')[1]!, 'base64url').toString(),
      ) as Record<string, unknown>;
      expect(claims).toMatchObject({ iss: 'adc@app-proj.iam.gserviceaccount.com', aud: AUD });
      expect(seen).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('asks the metadata server for the default service account token (GKE/GCE)', async () => {
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GCE_METADATA_HOST = base.replace('http://', '');
    process.env.METADATA_SERVER_DETECTION = 'assume-present';
    answer = (s) =>
      s.url.startsWith('/computeMetadata/v1/instance/service-accounts/default/token')
        ? { status: 200, body: { access_token: 'metadata-token', expires_in: 3600, token_type: 'Bearer' } }
        : { status: 404, body: {} };
    const h = await applicationDefaultCredential({}).headers(AUD);
    expect(h.authorization).toBe('Bearer metadata-token');
    const tokenCall = seen.find((s) => s.url.includes('/service-accounts/default/token'))!;
    expect(tokenCall.method).toBe('GET');
    expect(tokenCall.headers['metadata-flavor']).toBe('Google');
  });
});
