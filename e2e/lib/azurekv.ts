// The Azure Key Vault test server (e2e/tools/servers/keyvault.sh) from the tests' side: SDK
// clients with the admin identity for seeding, its admin API (identities, faults), stores.

import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { CertificateClient } from '@azure/keyvault-certificates';
import { KeyClient } from '@azure/keyvault-keys';
import { SecretClient } from '@azure/keyvault-secrets';
import { serverVar } from './servers.js';

export interface KeyVaultEnv {
  url: string;
  ca: string;
  caFile: string;
  tenant: string;
  authority: string;
  imds: string;
}

export function kvEnv(): KeyVaultEnv {
  const caFile = serverVar('AZURE_KV_CA');
  return {
    url: serverVar('AZURE_KV_URL'),
    ca: readFileSync(caFile, 'utf8'),
    caFile,
    tenant: serverVar('AZURE_KV_TENANT_ID'),
    authority: serverVar('AZURE_KV_AUTHORITY'),
    imds: serverVar('AZURE_KV_IMDS'),
  };
}

/** What the operator needs to reach the test server: trust its CA, find its IMDS. */
export function operatorEnv(): Record<string, string> {
  const env = kvEnv();
  return { NODE_EXTRA_CA_CERTS: env.caFile, AZURE_POD_IDENTITY_AUTHORITY_HOST: env.imds };
}

export interface AdminClients {
  secrets: SecretClient;
  keys: KeyClient;
  certs: CertificateClient;
}

export function adminClients(): AdminClients {
  const env = kvEnv();
  const tlsOptions = { ca: env.ca };
  const credential = new ClientSecretCredential(
    env.tenant,
    serverVar('AZURE_KV_ADMIN_CLIENT_ID'),
    serverVar('AZURE_KV_ADMIN_CLIENT_SECRET'),
    { authorityHost: env.authority, disableInstanceDiscovery: true, tlsOptions },
  );
  const opts = { disableChallengeResourceVerification: true, tlsOptions };
  return {
    secrets: new SecretClient(env.url, credential, opts),
    keys: new KeyClient(env.url, credential, opts),
    certs: new CertificateClient(env.url, credential, opts),
  };
}

async function admin(method: string, path: string, body?: unknown): Promise<unknown> {
  const env = kvEnv();
  // undici's fetch cannot take a CA per call; curl can.
  const args = ['-fsS', '--max-time', '10', '--cacert', env.caFile, '-X', method];
  if (body !== undefined) args.push('-H', 'content-type: application/json', '--data-binary', '@-');
  const out = execFileSync('curl', [...args, `${env.url}/_admin/${path}`], {
    input: body === undefined ? undefined : JSON.stringify(body),
    encoding: 'utf8',
  });
  return out ? (JSON.parse(out) as unknown) : undefined;
}

export interface IdentitySpec {
  secret?: string;
  certificatePem?: string;
  federated?: { subject: string; publicKeyFile: string; issuer?: string };
  managedIdentity?: boolean;
  systemAssigned?: boolean;
  vaultAccess?: boolean;
  tokenSeconds?: number;
}

/** Registers an application / managed identity with the test server's Entra ID; returns its client id. */
export async function registerIdentity(spec: IdentitySpec, existing?: string): Promise<string> {
  // With `existing`: replaces that identity's credentials and revokes its tokens.
  const clientId = existing ?? randomUUID();
  await admin('POST', 'clients', { clientId, ...spec });
  return clientId;
}

export async function injectFault(fault: {
  pathPrefix: string;
  status: number;
  retryAfter?: number;
  times?: number;
  method?: string;
}): Promise<void> {
  await admin('POST', 'faults', fault);
}

export async function clearFaults(): Promise<void> {
  await admin('DELETE', 'faults');
}

export interface TokenLogEntry {
  clientId: string;
  grant: string;
  ok: boolean;
  error?: string;
}

export async function serverRequests(): Promise<{ counts: Record<string, number>; tokens: TokenLogEntry[] }> {
  return (await admin('GET', 'requests')) as { counts: Record<string, number>; tokens: TokenLogEntry[] };
}

/** A unique prefix for this run's vault objects (the server outlives test files). */
export function runPrefix(): string {
  return `r${randomBytes(3).toString('hex')}`;
}

/**
 * A self-signed certificate and key in PEM (openssl), plus the certificate's DER; `san` adds
 * a subjectAltName (e.g. IP:127.0.0.1, for a TLS server the operator must trust).
 */
export function selfSignedPem(cn: string, san?: string): { certPem: string; keyPem: string; der: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'syncret-kv-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${cn}`,
        ...(san ? ['-addext', `subjectAltName=${san}`] : []),
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: 'ignore' },
    );
    execFileSync(
      'openssl',
      ['x509', '-in', join(dir, 'c.pem'), '-outform', 'DER', '-out', join(dir, 'c.der')],
      {
        stdio: 'ignore',
      },
    );
    return {
      certPem: readFileSync(join(dir, 'c.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'k.pem'), 'utf8'),
      der: readFileSync(join(dir, 'c.der')),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An azurekv SecretStore against the test server. The server plays an Azure Stack cloud:
 * customCloudConfig points Entra ID at its token endpoint.
 */
export function azureStore(
  ns: string,
  name: string,
  provider: Record<string, unknown>,
  kind: 'SecretStore' | 'ClusterSecretStore' = 'SecretStore',
): object {
  const env = kvEnv();
  return {
    apiVersion: 'external-secrets.io/v1',
    kind,
    metadata: kind === 'SecretStore' ? { name, namespace: ns } : { name },
    spec: {
      provider: {
        azurekv: {
          vaultUrl: env.url,
          environmentType: 'AzureStackCloud',
          customCloudConfig: { activeDirectoryEndpoint: env.authority },
          ...provider,
        },
      },
    },
  };
}
