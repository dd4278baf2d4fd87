// A local OIDC issuer on loopback: an RSA key, its JWKS (which OpenBao's JWT auth fetches), and
// GitHub Actions' ID token service (a bearer-protected GET with an `audience` parameter that
// answers `{ "value": JWT }`), so `syncret fetch` logs in as a CI job would.

import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Issuer {
  url: string;
  /** The bearer the token service asks for (ACTIONS_ID_TOKEN_REQUEST_TOKEN). */
  bearer: string;
  /** The signing key's public half (SPKI PEM), for servers configured with a key file. */
  publicKeyPem: string;
  /** The audiences the token service was asked for, in order. */
  audiences: (string | null)[];
  /** A signed token with these claims over the defaults (iss, sub, repository, iat, exp). */
  token(claims?: Record<string, unknown>): string;
  close(): Promise<void>;
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function startIssuer(bearer: string, defaults: Record<string, unknown>): Promise<Issuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomBytes(4).toString('hex');
  const audiences: (string | null)[] = [];
  let url = '';
  const token = (claims: Record<string, unknown> = {}): string => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64({ alg: 'RS256', typ: 'JWT', kid });
    const body = b64({ iss: url, iat: now, nbf: now - 5, exp: now + 300, ...defaults, ...claims });
    return `${head}.${body}.${sign('sha256', Buffer.from(`${head}.${body}`), privateKey).toString('base64url')}`;
  };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', url);
    if (u.pathname === '/jwks') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] }),
      );
      return;
    }
    if (u.pathname === '/token') {
      if (req.headers.authorization !== `Bearer ${bearer}`) {
        res.statusCode = 401;
        res.end();
        return;
      }
      const aud = u.searchParams.get('audience');
      audiences.push(aud);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ value: token(aud ? { aud } : {}) }));
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    bearer,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    audiences,
    token,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
