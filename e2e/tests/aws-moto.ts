// Test-side access to the moto server (e2e/tools/servers/moto.sh): admin SDK clients for
// arranging data, the operator's AWS environment, and moto's request recorder, which is how
// the tests see which AWS calls the operator made, with which identity and parameters.

import { readFileSync } from 'node:fs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { serverVar } from '../lib/servers.js';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';

export function motoUrl(): string {
  return serverVar('MOTO_URL');
}

const admin = () => ({
  region: REGION,
  endpoint: motoUrl(),
  credentials: { accessKeyId: 'AKIAE2EADMIN00000000', secretAccessKey: 'e2e-admin' },
});

let sm: SecretsManagerClient | undefined;
let ssm: SSMClient | undefined;
export const smAdmin = (): SecretsManagerClient => (sm ??= new SecretsManagerClient(admin()));
export const ssmAdmin = (): SSMClient => (ssm ??= new SSMClient(admin()));

export function closeAdmins(): void {
  sm?.destroy();
  ssm?.destroy();
  sm = ssm = undefined;
}

/**
 * The operator's environment: only the standard SDK variables, as on EKS with a VPC endpoint.
 * The default-chain keys are what a store without auth resolves to.
 */
export function operatorAwsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: motoUrl(),
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: DEFAULT_CHAIN_KEY,
    AWS_SECRET_ACCESS_KEY: 'default-chain-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}
export const DEFAULT_CHAIN_KEY = 'AKIADEFAULTCHAIN0000';

export const roleArn = (name: string): string => `arn:aws:iam::${ACCOUNT}:role/${name}`;

// ---- the recorder ----

export interface Recorded {
  /** e.g. secretsmanager.GetSecretValue, ssm.GetParameter, sts.AssumeRole */
  op: string;
  /** Access key ID from the SigV4 Authorization header ('' when unsigned). */
  keyId: string;
  /** JSON body fields (JSON protocols) or form fields (STS's query protocol). */
  params: Record<string, unknown>;
}

interface RawEntry {
  headers: Record<string, string>;
  method: string;
  url: string;
  body: string;
  body_encoded: boolean;
}

function header(h: Record<string, string>, name: string): string {
  const k = Object.keys(h).find((x) => x.toLowerCase() === name);
  return k ? (h[k] ?? '') : '';
}

function parse(line: string): Recorded | undefined {
  let e: RawEntry;
  try {
    e = JSON.parse(line) as RawEntry;
  } catch {
    return undefined;
  }
  if (e.url.includes('/moto-api/')) return undefined;
  const body = e.body_encoded ? Buffer.from(e.body, 'base64').toString('utf8') : (e.body ?? '');
  const keyId = /Credential=([^/]+)\//.exec(header(e.headers, 'authorization'))?.[1] ?? '';
  const target = header(e.headers, 'x-amz-target');
  if (target) {
    const [svc, action] = target.split('.');
    const op = `${svc?.startsWith('AmazonSSM') ? 'ssm' : svc === 'secretsmanager' ? 'secretsmanager' : svc}.${action}`;
    let params: Record<string, unknown> = {};
    try {
      params = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return { op, keyId, params };
  }
  const form = Object.fromEntries(new URLSearchParams(body));
  if (form.Action) return { op: `sts.${form.Action}`, keyId, params: form };
  return undefined;
}

async function motoApi(path: string): Promise<void> {
  const res = await fetch(`${motoUrl()}/moto-api/recorder/${path}`, {
    method: 'POST',
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`moto recorder ${path}: HTTP ${res.status}`);
}

export async function startRecording(): Promise<void> {
  await motoApi('reset-recording');
  await motoApi('start-recording');
}

export async function stopRecording(): Promise<void> {
  await motoApi('stop-recording');
}

/** Every AWS request moto received since startRecording (oldest first). */
export function recorded(): Recorded[] {
  const text = readFileSync(serverVar('MOTO_RECORDING'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map(parse)
    .filter((r): r is Recorded => r !== undefined);
}

/** A position in the recording; `since(mark)` returns what came after it. */
export const mark = (): number => recorded().length;
export const since = (m: number): Recorded[] => recorded().slice(m);

/** The operator's calls only: the tests' own admin calls are signed with the admin key. */
export const operatorCalls = (m = 0): Recorded[] =>
  since(m).filter((r) => r.keyId !== admin().credentials.accessKeyId);

/** The payload of a JWT (the web identity token the operator sent to STS). */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

// ---- IAM (no IAM client is installed: IAM's query API is a form POST) ----

async function iam(params: Record<string, string>): Promise<string> {
  const res = await fetch(motoUrl(), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto routes by the credential scope's service and checks no signature while its
      // authorization is off (its default).
      authorization: `AWS4-HMAC-SHA256 Credential=${admin().credentials.accessKeyId}/20260101/${REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`IAM ${params.Action}: HTTP ${res.status}`);
  return text;
}

/** An IAM user without any policy, and an access key of it. */
export async function iamUserWithoutPolicies(name: string): Promise<{ id: string; secret: string }> {
  await iam({ Action: 'CreateUser', UserName: name });
  const xml = await iam({ Action: 'CreateAccessKey', UserName: name });
  const id = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(xml)?.[1];
  const secret = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(xml)?.[1];
  if (!id || !secret) throw new Error('IAM CreateAccessKey returned no key');
  return { id, secret };
}

/**
 * Turns moto's IAM authorization on (every request must be signed by an IAM identity whose
 * policies allow it) or off again. It is global to the server: keep the window short.
 */
export async function enforceIam(on: boolean): Promise<void> {
  const res = await fetch(`${motoUrl()}/moto-api/reset-auth`, {
    method: 'POST',
    body: on ? '0' : 'inf',
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`moto reset-auth: HTTP ${res.status}`);
}
