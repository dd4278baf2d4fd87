// GCRAccessToken with GKE workload identity against a local STS endpoint: the ServiceAccount
// token exchanged as Google's STS documents it, ESO's outputs; and the static checks.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProviderContext } from '../types.js';
import { gcrAccessToken, validateGcr } from './registry.js';

let server: Server;
let stsUrl = '';
const forms: Record<string, string>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      forms.push(Object.fromEntries(new URLSearchParams(body)));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: 'ya29.federated',
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 3600,
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  stsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/token`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

const ctx: ProviderContext = {
  signal: new AbortController().signal,
  requireTls: () => undefined,
  readSecretKey: async () => new Uint8Array(),
  readConfigMapKey: async () => '',
  requestServiceAccountToken: async (sel, opts) =>
    `sa-token:${sel.name}:${(opts?.audiences ?? []).join(',')}`,
  readServiceAccountAnnotations: async () => ({}),
};

const dec = (d: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(d).map(([k, v]) => [k, new TextDecoder().decode(v)]));

describe('GCRAccessToken', () => {
  it('exchanges a workload identity token at STS and returns ESO outputs', async () => {
    const before = Math.floor(Date.now() / 1000);
    const out = dec(
      await gcrAccessToken(
        {
          projectID: 'proj',
          auth: {
            workloadIdentity: {
              serviceAccountRef: { name: 'app' },
              clusterLocation: 'eu',
              clusterName: 'c1',
            },
          },
        },
        ctx,
        { stsUrl },
      ),
    );
    expect(out.username).toBe('oauth2accesstoken');
    expect(out.password).toBe('ya29.federated');
    expect(Number(out.expiry)).toBeGreaterThanOrEqual(before + 3590);
    expect(forms[0]).toMatchObject({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'sa-token:app:proj.svc.id.goog',
      audience:
        'identitynamespace:proj.svc.id.goog:https://container.googleapis.com/v1/projects/proj/locations/eu/clusters/c1',
    });
  });

  it('names what is wrong', () => {
    expect(validateGcr({})).toMatch(/projectID/);
    expect(validateGcr({ projectID: 'p', auth: { workloadIdentityFederation: {} } })).toMatch(
      /not supported/,
    );
    expect(
      validateGcr({ projectID: 'p', auth: { workloadIdentity: { serviceAccountRef: { name: 'a' } } } }),
    ).toMatch(/clusterLocation/);
    expect(validateGcr({ projectID: 'p' })).toBeUndefined();
  });
});
