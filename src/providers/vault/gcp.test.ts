import { createPublicKey, createVerify } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { fakeContext, serviceAccountKey } from '../gcpsm/testing.js';
import { GCP_JWT_SECONDS, gcpClaims, gcpLoginJwt } from './gcp.js';

const NOW = Date.parse('2026-12-02T05:00:00Z');
const EMAIL = 'reader@proj.iam.gserviceaccount.com';

function parts(jwt: string): { head: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, c] = jwt.split('.');
  return {
    head: JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(c ?? '', 'base64url').toString()) as Record<string, unknown>,
  };
}

describe("Vault's gcp login JWT", () => {
  it('iam type with a key: RS256 with the key id, aud vault/ROLE, sub the account, 15 minutes; verifies with the public key', async () => {
    const keyJson = serviceAccountKey(EMAIL);
    const jwt = await gcpLoginJwt(
      { role: 'app', secretRef: { secretAccessKeySecretRef: { name: 'k', key: 'key.json' } } },
      'https://vault.example',
      fakeContext({ key: keyJson }),
      { endpoints: {}, now: () => NOW },
    );
    const { head, claims } = parts(jwt);
    expect(head).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
    expect(claims).toEqual({
      aud: 'vault/app',
      sub: EMAIL,
      iat: NOW / 1000,
      exp: NOW / 1000 + GCP_JWT_SECONDS,
    });
    const [h, c, sig] = jwt.split('.');
    const pub = createPublicKey((JSON.parse(keyJson) as { private_key: string }).private_key);
    expect(
      createVerify('RSA-SHA256')
        .update(`${h}.${c}`)
        .verify(pub, Buffer.from(sig ?? '', 'base64url')),
    ).toBe(true);
  });

  it('iam type with workload identity: signJwt of the annotated Google account with the federated token', async () => {
    const seen: { url: string; auth?: string; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', auth: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        if (req.url === '/v1/token')
          res.end(JSON.stringify({ access_token: 'federated', token_type: 'Bearer', expires_in: 3600 }));
        else if (req.url?.includes(':generateAccessToken'))
          res.end(
            JSON.stringify({
              accessToken: 'gsa-token',
              expireTime: new Date(Date.now() + 3600e3).toISOString(),
            }),
          );
        else res.end(JSON.stringify({ keyId: 'g1', signedJwt: 'signed.by.google' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const jwt = await gcpLoginJwt(
        {
          role: 'app',
          workloadIdentity: {
            serviceAccountRef: { name: 'app-sa' },
            clusterLocation: 'l',
            clusterName: 'c',
            clusterProjectID: 'proj',
          },
        },
        'https://vault.example',
        fakeContext({ annotations: { 'iam.gke.io/gcp-service-account': EMAIL } }),
        { endpoints: { stsUrl: `${base}/v1/token`, iamCredentialsUrl: base }, now: () => NOW },
      );
      expect(jwt).toBe('signed.by.google');
    } finally {
      server.close();
    }
    const sign = seen.find((s) => s.url.includes(':signJwt'));
    expect(sign?.url).toBe(`/v1/projects/-/serviceAccounts/${encodeURIComponent(EMAIL)}:signJwt`);
    expect(sign?.auth).toBe('Bearer gsa-token');
    expect(JSON.parse((JSON.parse(sign?.body ?? '{}') as { payload: string }).payload)).toEqual(
      gcpClaims('app', EMAIL, NOW),
    );
  });

  it('workload identity without the annotation says which one', async () => {
    await expect(
      gcpLoginJwt(
        { role: 'app', workloadIdentity: { serviceAccountRef: { name: 'app-sa' } } },
        'https://v',
        fakeContext(),
        { endpoints: {} },
      ),
    ).rejects.toThrow(/ServiceAccount "app-sa" needs the annotation iam.gke.io\/gcp-service-account/);
  });

  it('gce type: the metadata server identity for audience SERVER/vault/ROLE, format full; a clear message when there is none', async () => {
    let asked: { url: string; flavor?: string } | undefined;
    const fake = (async (url: string | URL | Request, init?: RequestInit) => {
      asked = {
        url: String(url),
        flavor: ((init?.headers ?? {}) as Record<string, string>)['Metadata-Flavor'],
      };
      return new Response('gce.identity.jwt\n');
    }) as typeof fetch;
    const jwt = await gcpLoginJwt({ role: 'app' }, 'https://vault.example:8200/', fakeContext(), {
      endpoints: {},
      metadataHost: '127.0.0.1:9',
      fetch: fake,
    });
    expect(jwt).toBe('gce.identity.jwt');
    expect(asked).toEqual({
      url: `http://127.0.0.1:9/computeMetadata/v1/instance/service-accounts/default/identity?audience=${encodeURIComponent('https://vault.example:8200/vault/app')}&format=full`,
      flavor: 'Google',
    });
    const refused = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    await expect(
      gcpLoginJwt({ role: 'app', serviceAccountRef: { name: 'sa' } }, 'https://v', fakeContext(), {
        endpoints: {},
        fetch: refused,
      }),
    ).rejects.toThrow(
      /needs the GCE metadata server at metadata.google.internal, which did not answer; outside GCE use secretRef/,
    );
  });
});
