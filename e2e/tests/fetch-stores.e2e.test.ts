// `syncret fetch` against other stores than Vault, without a stored credential: the CI job's
// OIDC ID token (from GitHub Actions' token service on a local issuer, or a GitLab id_tokens
// variable) is exchanged with STS AssumeRoleWithWebIdentity on moto for the role given, and
// Secrets Manager and Parameter Store are read with the temporary credentials, never with a key
// of the process's own; the same token is a federated credential for Azure Key Vault (our Key
// Vault server checks its signature with the issuer's key, its audience and its subject).
// vault-action's `*` takes every key of a secret. No value reaches the command's log.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { parseDotenv } from '../../src/agent/dotenv.js';
import { expectValue, filesUnder, finished, syncretSplit } from '../lib/delivery.js';
import { adminClients, kvEnv, registerIdentity, runPrefix, serverRequests } from '../lib/azurekv.js';
import { startIssuer } from '../lib/oidc.js';
import type { Issuer } from '../lib/oidc.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import { suffix } from '../lib/vault.js';
import {
  REGION,
  closeAdmins,
  jwtPayload,
  mark,
  motoUrl,
  operatorCalls,
  roleArn,
  smAdmin,
  ssmAdmin,
  startRecording,
  stopRecording,
} from './aws-moto.js';

const sfx = suffix();
const role = roleArn(`ci-fetch-${sfx}`);
const smName = `ci/${sfx}/app`;
const paramName = `/ci/${sfx}/db-password`;
const password = secretValue('fetch-aws-password');
const apiKey = secretValue('fetch-aws-apikey');
const paramValue = secretValue('fetch-aws-param');
const azureValue = secretValue('fetch-azure');
const azureName = `${runPrefix()}-fetch`;
let issuer: Issuer;
let dir: string;

/** The job's environment: moto's endpoint and region, and no AWS key of its own. */
function env(extra: Record<string, string>): Record<string, string> {
  return { AWS_ENDPOINT_URL: motoUrl(), AWS_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', ...extra };
}

const github = (): Record<string, string> => ({
  ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/token?api-version=2.0`,
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.bearer,
});

beforeAll(async () => {
  issuer = await startIssuer(secretValue('fetch-aws-bearer'), {
    sub: 'repo:acme/shop:ref:refs/heads/main',
    repository: 'acme/shop',
  });
  await smAdmin().send(
    new CreateSecretCommand({ Name: smName, SecretString: JSON.stringify({ password, api_key: apiKey }) }),
  );
  await ssmAdmin().send(
    new PutParameterCommand({ Name: paramName, Value: paramValue, Type: 'SecureString' }),
  );
  await adminClients().secrets.setSecret(azureName, azureValue);
  dir = mkdtempSync(join(tmpdir(), 'e2e-fetch-stores-'));
  await startRecording();
});

afterAll(async () => {
  await stopRecording().catch(() => undefined);
  closeAdmins();
  await issuer?.close();
  await finishSuite();
});

describe('GitHub Actions to AWS Secrets Manager', () => {
  it('exchanges the job token (audience sts.amazonaws.com) for the role, masks, then writes $GITHUB_ENV', async () => {
    const githubEnv = join(dir, 'github-env');
    writeFileSync(githubEnv, '');
    const stdout = join(dir, 'gh-stdout');
    const m = mark();
    const p = syncretSplit(
      'fetch-aws-github',
      [
        'fetch',
        '--aws-role-arn',
        role,
        '--format',
        'github-env',
        '--secrets',
        `${smName} password | DB_PASSWORD ; ${smName} * | APP_`,
        '--allow-insecure-credentials',
      ],
      env({ GITHUB_ENV: githubEnv, ...github() }),
      stdout,
    );
    expect((await finished(p)).code).toBe(0);
    expect(issuer.audiences).toEqual(['sts.amazonaws.com']);

    const masks = readFileSync(stdout, 'utf8').trimEnd().split('\n');
    expectValue(
      JSON.stringify(masks),
      JSON.stringify([password, apiKey].map((v) => `::add-mask::${v}`)),
      'the mask commands',
    );
    const vars = new Map<string, string>();
    const re = /^([A-Z_]+)<<(ghadelimiter_[0-9a-f]+)\n([\s\S]*?)\n\2$/gm;
    for (const x of readFileSync(githubEnv, 'utf8').matchAll(re)) vars.set(x[1]!, x[3]!);
    expect([...vars.keys()]).toEqual(['DB_PASSWORD', 'APP_PASSWORD', 'APP_API_KEY']);
    expectValue(vars.get('DB_PASSWORD'), password, 'DB_PASSWORD');
    expectValue(vars.get('APP_API_KEY'), apiKey, 'APP_API_KEY');

    // One exchange with the issuer's token, then one read signed with the session's key.
    const calls = operatorCalls(m);
    const exchanges = calls.filter((c) => c.op === 'sts.AssumeRoleWithWebIdentity');
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]!.params.RoleArn).toBe(role);
    const claims = jwtPayload(String(exchanges[0]!.params.WebIdentityToken));
    expect(claims).toMatchObject({ iss: issuer.url, aud: 'sts.amazonaws.com', repository: 'acme/shop' });
    const reads = calls.filter((c) => c.op === 'secretsmanager.GetSecretValue');
    expect(reads).toHaveLength(1);
    expect(reads[0]!.keyId).toMatch(/^ASIA/);
    expect(p.log()).toMatch(/"names":\["DB_PASSWORD","APP_PASSWORD","APP_API_KEY"\]/);
  });

  it('fails on a missing secret naming it, and writes nothing', async () => {
    const out = join(dir, 'missing.env');
    const p = syncretSplit(
      'fetch-aws-missing',
      [
        'fetch',
        '--aws-role-arn',
        role,
        '--secrets',
        `ci/${sfx}/nope password`,
        '--out',
        out,
        '--allow-insecure-credentials',
      ],
      env(github()),
      join(dir, 'missing-stdout'),
    );
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(new RegExp(`syncret fetch: .*ci/${sfx}/nope`));
    expect(existsSync(out)).toBe(false);
  });
});

describe('GitLab CI to Parameter Store, with a store manifest', () => {
  it('reads a SecureString with the id_tokens token through a SecretStore file, as Docker secret files', async () => {
    const storeFile = join(dir, 'store.yaml');
    writeFileSync(
      storeFile,
      [
        'apiVersion: external-secrets.io/v1',
        'kind: SecretStore',
        'metadata: { name: ssm, namespace: ci }',
        'spec:',
        '  provider:',
        `    aws: { service: ParameterStore, region: ${REGION}, auth: { jwt: { serviceAccountRef: { name: ci } } } }`,
      ].join('\n'),
    );
    const out = join(dir, 'compose-secrets');
    const m = mark();
    const p = syncretSplit(
      'fetch-aws-gitlab',
      [
        'fetch',
        '--store',
        storeFile,
        '--annotation',
        `eks.amazonaws.com/role-arn=${role}`,
        '--id-token-env',
        'AWS_ID_TOKEN',
        '--secrets',
        `${paramName} value | DB_PASSWORD`,
        '--format',
        'files',
        '--out',
        out,
        '--allow-insecure-credentials',
      ],
      env({ AWS_ID_TOKEN: issuer.token({ aud: 'sts.amazonaws.com' }) }),
      join(dir, 'gl-stdout'),
    );
    expect((await finished(p)).code).toBe(0);
    expect(filesUnder(out)).toEqual(['DB_PASSWORD']);
    expect(statSync(join(out, 'DB_PASSWORD')).mode & 0o777).toBe(0o400);
    expectValue(readFileSync(join(out, 'DB_PASSWORD'), 'utf8'), paramValue, 'DB_PASSWORD');
    const calls = operatorCalls(m);
    expect(
      calls.filter((c) => c.op === 'sts.AssumeRoleWithWebIdentity').map((c) => c.params.RoleArn),
    ).toEqual([role]);
    expect(calls.find((c) => c.op === 'ssm.GetParameter')?.keyId).toMatch(/^ASIA/);
  });

  it('writes dotenv with every key of a secret', async () => {
    const out = join(dir, 'all.env');
    const p = syncretSplit(
      'fetch-aws-dotenv',
      [
        'fetch',
        '--aws-role-arn',
        role,
        '--secrets',
        `${smName} *`,
        '--out',
        out,
        '--allow-insecure-credentials',
      ],
      env({ AWS_ID_TOKEN: issuer.token({ aud: 'sts.amazonaws.com' }) }),
      join(dir, 'dotenv-stdout'),
    );
    // No token source: a job outside GitHub must say where its token is.
    expect((await finished(p)).code).toBe(1);
    expect(p.log()).toMatch(/no ID token: give --id-token-file or --id-token-env/);
    const q = syncretSplit(
      'fetch-aws-dotenv-2',
      [
        'fetch',
        '--aws-role-arn',
        role,
        '--id-token-env',
        'AWS_ID_TOKEN',
        '--secrets',
        `${smName} *`,
        '--out',
        out,
        '--allow-insecure-credentials',
      ],
      env({ AWS_ID_TOKEN: issuer.token({ aud: 'sts.amazonaws.com' }) }),
      join(dir, 'dotenv-stdout-2'),
    );
    expect((await finished(q)).code).toBe(0);
    const vars = parseDotenv(readFileSync(out, 'utf8'), 'all.env');
    expect([...vars.keys()]).toEqual(['PASSWORD', 'API_KEY']);
    expectValue(vars.get('PASSWORD'), password, 'PASSWORD');
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});

describe('GitHub Actions to Azure Key Vault (workload identity federation)', () => {
  it('presents the job token for api://AzureADTokenExchange with the identity of the annotations', async () => {
    const keyFile = join(dir, 'issuer.pem');
    writeFileSync(keyFile, issuer.publicKeyPem);
    const clientId = await registerIdentity({
      federated: {
        subject: 'repo:acme/shop:ref:refs/heads/main',
        publicKeyFile: keyFile,
        issuer: issuer.url,
      },
    });
    const storeFile = join(dir, 'azure-store.yaml');
    writeFileSync(
      storeFile,
      JSON.stringify({
        apiVersion: 'external-secrets.io/v1',
        kind: 'SecretStore',
        metadata: { name: 'kv', namespace: 'ci' },
        spec: {
          provider: {
            azurekv: {
              vaultUrl: kvEnv().url,
              environmentType: 'AzureStackCloud',
              customCloudConfig: { activeDirectoryEndpoint: kvEnv().authority },
              authType: 'WorkloadIdentity',
              serviceAccountRef: { name: 'ci' },
            },
          },
        },
      }),
    );
    const stdout = join(dir, 'azure-stdout');
    const asked = issuer.audiences.length;
    const p = syncretSplit(
      'fetch-azure',
      [
        'fetch',
        '--store',
        storeFile,
        '--annotation',
        `azure.workload.identity/client-id=${clientId}`,
        '--annotation',
        `azure.workload.identity/tenant-id=${kvEnv().tenant}`,
        '--secrets',
        `${azureName} value | AZ_SECRET`,
        '--format',
        'json',
        // For the local issuer's plain-HTTP token service; Key Vault itself is https.
        '--allow-insecure-credentials',
      ],
      { ...github(), NODE_EXTRA_CA_CERTS: kvEnv().caFile },
      stdout,
    );
    expect((await finished(p)).code).toBe(0);
    // MSAL asks the assertion callback for each exchange it makes (twice here): every time for
    // the federation audience.
    expect([...new Set(issuer.audiences.slice(asked))]).toEqual(['api://AzureADTokenExchange']);
    const vars = JSON.parse(readFileSync(stdout, 'utf8')) as Record<string, string>;
    expectValue(vars.AZ_SECRET, azureValue, 'AZ_SECRET');
    const tokens = (await serverRequests()).tokens.filter((t) => t.clientId === clientId);
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.every((t) => t.ok)).toBe(true);
  });
});
