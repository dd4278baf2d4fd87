// AWS Signature Version 4 for the one request Vault's AWS auth method needs: a POST with a
// form body (sts:GetCallerIdentity). Written here rather than taken from the SDK so the Vault
// provider does not load it for a signature: HMAC-SHA256 over the canonical request, as AWS
// documents it.

import { createHash, createHmac } from 'node:crypto';

export interface SigningInput {
  method: string;
  url: URL;
  /** Header names as sent; signed lower-cased and sorted. Host is added from the URL. */
  headers: Record<string, string>;
  body: string;
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The signing time (its UTC seconds). */
  date: Date;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: string | Buffer, s: string): Buffer =>
  createHmac('sha256', key).update(s, 'utf8').digest();

/** 20150830T123600Z */
export function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** RFC 3986 encoding, as SigV4 wants it for paths and query components. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(url: URL): string {
  const pairs = [...url.searchParams].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** The Authorization header value for `input` (the X-Amz-Date header must carry `input.date`). */
export function signV4(input: SigningInput): string {
  const stamp = amzDate(input.date);
  const day = stamp.slice(0, 8);
  const headers = new Map<string, string>();
  headers.set('host', input.url.host);
  for (const [k, v] of Object.entries(input.headers))
    headers.set(k.toLowerCase(), v.trim().replace(/\s+/g, ' '));
  const names = [...headers.keys()].sort();
  const canonical = [
    input.method,
    input.url.pathname.split('/').map(uriEncode).join('/') || '/',
    canonicalQuery(input.url),
    names.map((n) => `${n}:${headers.get(n)}\n`).join(''),
    names.join(';'),
    sha256(input.body),
  ].join('\n');
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', stamp, scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${input.secretAccessKey}`, day);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}
