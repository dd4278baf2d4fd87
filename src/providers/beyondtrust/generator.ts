// The BeyondtrustWorkloadCredentialsDynamicSecret generator, as ESO 2.9's code calls the
// BeyondTrust Workload Credentials API (providers/v1/beyondtrustworkloadcredentials): POST
// <apiUrl>/<siteId>/secrets/dynamic/<name>/generate[?folder=<folder>] with the API key as a
// Bearer token and the API version header, where `provider.folderPath` is "<folder>/<name>".
// The answer's `secret` gives `accessKeyId`, `secretAccessKey`, `leaseId`, `expiration` and,
// when present, `sessionToken` (ESO's outputs). apiUrl must be https and siteId a UUID (ESO's
// checks); caBundle / caProvider set the CA. ESO's GeneratorState for this kind holds only the
// path and its cleanup does nothing, so Syncret keeps no state for it.

import { Agent } from '../../net/undici.js';
import type { BeyondtrustWorkloadCredentialsSpec } from '../../api/generators/cloud.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { ProviderError } from '../errors.js';
import { specOf } from '../generator.js';
import type { Generator, GeneratorEnv } from '../generator.js';
import { readCABundle } from '../shared.js';
import { tokenCall } from '../tokens/http.js';

export const BT_API_VERSION = '2026-04-28';
const SITE_ID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;

export function validateBeyondtrust(spec: BeyondtrustWorkloadCredentialsSpec): string | undefined {
  const p = spec.provider;
  if (!p) return 'spec.provider must be set';
  if (!p.auth?.apikey?.token?.name || !p.auth.apikey.token.key)
    return 'spec.provider.auth.apikey.token needs name and key';
  let url: URL;
  try {
    url = new URL(p.server?.apiUrl ?? '');
  } catch {
    return 'spec.provider.server.apiUrl must be a URL';
  }
  if (url.protocol !== 'https:') return 'spec.provider.server.apiUrl must use https';
  if (!SITE_ID.test(p.server?.siteId ?? '')) return 'spec.provider.server.siteId must be a UUID';
  if (!p.folderPath) return 'spec.provider.folderPath must be set';
  if (p.folderPath.endsWith('/')) return `spec.provider.folderPath "${p.folderPath}" names no secret`;
  return undefined;
}

async function generate(spec: BeyondtrustWorkloadCredentialsSpec, env: GeneratorEnv) {
  const p = spec.provider ?? {};
  const path = p.folderPath ?? '';
  const cut = path.lastIndexOf('/');
  const folder = cut >= 0 ? path.slice(0, cut) : '';
  const name = cut >= 0 ? path.slice(cut + 1) : path;
  const apiKey = Buffer.from(
    await env.ctx.readSecretKey(p.auth?.apikey?.token ?? {}, 'provider.auth.apikey.token'),
  )
    .toString('utf8')
    .trim();
  const ca = await readCABundle(p.caBundle, p.caProvider, env.ctx, 'provider.caProvider');
  const dispatcher = ca ? new Agent({ connect: { ca }, connections: 1 }) : undefined;
  const base = `${(p.server?.apiUrl ?? '').replace(/\/+$/, '')}/${p.server?.siteId}/secrets`;
  try {
    const answer = await tokenCall({
      service: 'BeyondTrust',
      method: 'POST',
      url: `${base}/dynamic/${encodeURIComponent(name)}/generate${folder ? `?folder=${encodeURIComponent(folder)}` : ''}`,
      headers: {
        authorization: `Bearer ${apiKey}`,
        'bt-secrets-api-version': BT_API_VERSION,
        'content-type': 'application/json',
      },
      expect: [200, 201],
      signal: env.ctx.signal,
      dispatcher,
    });
    const s = answer.secret;
    if (!s || typeof s !== 'object')
      throw new ProviderError('InvalidRequest', 'BeyondTrust: the answer has no "secret"');
    const secret = s as Record<string, unknown>;
    const str = (k: string) => (typeof secret[k] === 'string' ? (secret[k] as string) : '');
    const enc = new TextEncoder();
    const out: Record<string, Uint8Array> = {
      accessKeyId: enc.encode(str('accessKeyId')),
      secretAccessKey: enc.encode(str('secretAccessKey')),
      leaseId: enc.encode(str('leaseId')),
      expiration: enc.encode(str('expiration')),
    };
    if (str('sessionToken')) out.sessionToken = enc.encode(str('sessionToken'));
    return out;
  } finally {
    await dispatcher?.close().catch(() => undefined);
  }
}

export function beyondtrustGenerator(): Generator {
  return {
    kind: 'BeyondtrustWorkloadCredentialsDynamicSecret',
    resource: GENERATOR_RESOURCES.BeyondtrustWorkloadCredentialsDynamicSecret,
    provider: 'beyondtrust',
    validate: (obj) => validateBeyondtrust(specOf(obj)),
    generate: async (env, obj) => ({ data: await generate(specOf(obj), env) }),
  };
}
