// Test helpers shared by the gcpsm unit tests (not shipped behaviour).

import { generateKeyPairSync } from 'node:crypto';
import type { ProviderContext, StoreInfo } from '../types.js';
import type { GcpsmProvider } from '../../api/providers/gcpsm.js';

export function serviceAccountKey(email: string, tokenUri = 'https://oauth2.googleapis.com/token'): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return JSON.stringify({
    type: 'service_account',
    project_id: email.split('@')[1]?.split('.')[0] ?? 'p',
    private_key_id: 'k1',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: email,
    client_id: '1',
    token_uri: tokenUri,
  });
}

export interface FakeContextCalls {
  tokenRequests: { name?: string; audiences?: string[]; expirationSeconds?: number }[];
}

export function fakeContext(
  opts: { key?: string; annotations?: Record<string, string>; saToken?: string } = {},
): ProviderContext & FakeContextCalls {
  const calls: FakeContextCalls = { tokenRequests: [] };
  return {
    ...calls,
    signal: new AbortController().signal,
    requireTls: () => undefined,
    async readSecretKey() {
      return new TextEncoder().encode(opts.key ?? '');
    },
    async readConfigMapKey() {
      return '';
    },
    async requestServiceAccountToken(sel, o) {
      calls.tokenRequests.push({
        name: sel.name,
        audiences: o?.audiences,
        expirationSeconds: o?.expirationSeconds,
      });
      return opts.saToken ?? 'k8s-sa-token';
    },
    async readServiceAccountAnnotations() {
      return opts.annotations ?? {};
    },
  };
}

export function storeOf(gcpsm: GcpsmProvider, kind: StoreInfo['kind'] = 'SecretStore'): StoreInfo {
  return {
    kind,
    name: 's',
    ...(kind === 'SecretStore' ? { namespace: 'ns' } : {}),
    requesterNamespace: 'ns',
    provider: { gcpsm },
  };
}
