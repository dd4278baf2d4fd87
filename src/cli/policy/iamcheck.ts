// `syncret policy --check` for AWS: the live managed policy of the same name (IAM GetPolicy for
// its default version, then GetPolicyVersion), compared with the generated document per
// action and resource. Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN; AWS_ENDPOINT_URL_IAM (or AWS_ENDPOINT_URL) points it elsewhere. IAM's
// query API is signed here (Signature Version 4) rather than with an IAM client the operator
// would never use.

import { createHash, createHmac } from 'node:crypto';
import type { IamPolicy } from './aws.js';

/** One action on one resource: what a statement allows, pair by pair. */
export interface Grant {
  action: string;
  resource: string;
}

export interface IamEnv {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** IAM is global: its endpoint and signing region per partition. */
export function iamEnv(partition: string, env: NodeJS.ProcessEnv): IamEnv | string {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return 'needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY';
  const byPartition: Record<string, [string, string]> = {
    aws: ['https://iam.amazonaws.com', 'us-east-1'],
    'aws-cn': ['https://iam.cn-north-1.amazonaws.com.cn', 'cn-north-1'],
    'aws-us-gov': ['https://iam.us-gov.amazonaws.com', 'us-gov-west-1'],
  };
  const [endpoint, region] = byPartition[partition] ?? byPartition.aws!;
  return {
    endpoint: env.AWS_ENDPOINT_URL_IAM || env.AWS_ENDPOINT_URL || endpoint,
    region,
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s).digest();

/** Signature Version 4 headers of a POST with a form body to the root path. */
export function signIamPost(e: IamEnv, body: string, now: Date): Record<string, string> {
  const url = new URL(e.endpoint);
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: url.host,
    'x-amz-content-sha256': sha256(body),
    'x-amz-date': amzDate,
    ...(e.sessionToken ? { 'x-amz-security-token': e.sessionToken } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonical = [
    'POST',
    url.pathname || '/',
    '',
    ...names.map((n) => `${n}:${headers[n]!.trim()}`),
    '',
    names.join(';'),
    sha256(body),
  ].join('\n');
  const scope = `${day}/${e.region}/iam/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${e.secretAccessKey}`, day);
  for (const part of [e.region, 'iam', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization: `AWS4-HMAC-SHA256 Credential=${e.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

const xmlText = (xml: string, tag: string): string | undefined => {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m?.[1]
    ?.replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
};

async function iamCall(e: IamEnv, params: Record<string, string>): Promise<{ status: number; xml: string }> {
  const body = new URLSearchParams({ Version: '2010-05-08', ...params }).toString();
  const res = await fetch(e.endpoint, {
    method: 'POST',
    headers: signIamPost(e, body, new Date()),
    body,
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, xml: await res.text() };
}

/** The default version's document of a managed policy; undefined when there is none. */
export async function livePolicy(e: IamEnv, arn: string): Promise<unknown> {
  const p = await iamCall(e, { Action: 'GetPolicy', PolicyArn: arn });
  if (p.status === 404 || xmlText(p.xml, 'Code') === 'NoSuchEntity') return undefined;
  const version = xmlText(p.xml, 'DefaultVersionId');
  if (p.status !== 200 || !version)
    throw new Error(`IAM GetPolicy answered ${p.status} (${xmlText(p.xml, 'Code') ?? 'no error code'})`);
  const v = await iamCall(e, { Action: 'GetPolicyVersion', PolicyArn: arn, VersionId: version });
  const doc = xmlText(v.xml, 'Document');
  if (v.status !== 200 || doc === undefined)
    throw new Error(
      `IAM GetPolicyVersion answered ${v.status} (${xmlText(v.xml, 'Code') ?? 'no error code'})`,
    );
  // IAM returns the document URL-encoded (RFC 3986).
  return JSON.parse(decodeURIComponent(doc)) as unknown;
}

const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

/** What a document allows, pair by pair; what cannot be paired (NotAction, NotResource) is told apart. */
export function grantsOf(doc: unknown): { grants: Grant[]; unpaired: string[] } {
  const st = (doc as { Statement?: unknown } | null)?.Statement;
  const statements: unknown[] = Array.isArray(st) ? st : st === undefined ? [] : [st];
  const grants: Grant[] = [];
  const unpaired: string[] = [];
  statements.forEach((raw, i) => {
    const s = (raw ?? {}) as Record<string, unknown>;
    if (s.Effect !== 'Allow') return;
    const sid = typeof s.Sid === 'string' ? s.Sid : `#${i + 1}`;
    if (s.NotAction !== undefined || s.NotResource !== undefined) {
      unpaired.push(`statement ${sid} (NotAction or NotResource allows everything else)`);
      return;
    }
    for (const action of list(s.Action))
      for (const resource of list(s.Resource)) grants.push({ action, resource });
    if (s.Condition !== undefined) unpaired.push(`statement ${sid} has a Condition (compared without it)`);
  });
  return { grants, unpaired };
}

/**
 * IAM's wildcards: `*` any run, `?` one character; actions ignore case. Matched without a
 * regular expression (the classic greedy match that backs up to the last `*`), so a live
 * policy full of stars costs at most pattern × value steps.
 */
export function iamGlob(pattern: string, value: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  while (j < v.length) {
    if (i < p.length && (p[i] === '?' || p[i] === v[j])) {
      i++;
      j++;
    } else if (i < p.length && p[i] === '*') {
      star = i++;
      mark = j;
    } else if (star >= 0) {
      i = star + 1;
      j = ++mark;
    } else return false;
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

const covers = (by: Grant, g: Grant): boolean =>
  iamGlob(by.action, g.action, true) && iamGlob(by.resource, g.resource);

const show = (g: Grant): string => `${g.action} on ${g.resource}`;

/** Missing: generated grants no live one covers. Broader: live grants no generated one covers. */
export function compareIam(generated: IamPolicy, live: unknown): { missing: string[]; broader: string[] } {
  const want = grantsOf(generated).grants;
  const have = grantsOf(live);
  return {
    missing: want.filter((g) => !have.grants.some((h) => covers(h, g))).map(show),
    broader: [...have.grants.filter((h) => !want.some((g) => covers(g, h))).map(show), ...have.unpaired],
  };
}
