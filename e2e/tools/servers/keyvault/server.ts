// A small Azure Key Vault data plane plus the Entra ID endpoints its clients call, for the
// e2e tests. Why it exists: Lowkey Vault (the usual Key Vault test double) is not served by
// the Maven Central mirror reachable here, and no other Key Vault emulator is in a
// reachable registry. It follows the documented REST API (api-version 7.x / 2025-07-01) as
// the Azure SDK sees it: challenge authentication, SecretBundle/KeyBundle/CertificateBundle,
// paged lists with nextLink, disabled objects, error bodies {error: {code, message}}.
//
// Unlike Lowkey Vault it checks the tokens: only tokens issued by its own token endpoint
// for a registered client are accepted, and that endpoint verifies client secrets, client
// certificate assertions (RS256/PS256) and federated ServiceAccount tokens (signature with
// the cluster's ServiceAccount public key, audience api://AzureADTokenExchange, subject). So
// the operator's ServicePrincipal, WorkloadIdentity and ManagedIdentity (IMDS) paths run end
// to end against it, through the real @azure/identity and MSAL code.
//
// Runs with Node's type stripping (`node server.ts`): erasable syntax; node: imports and
// node-forge from the checkout's node_modules (PKCS#12 imports).
// Configuration by environment: KV_PORT, KV_IMDS_PORT, KV_TLS_CERT, KV_TLS_KEY, KV_TENANT,
// KV_ADMIN_CLIENT_ID, KV_ADMIN_CLIENT_SECRET.

import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  verify,
  X509Certificate,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const PORT = Number(env('KV_PORT'));
const IMDS_PORT = Number(env('KV_IMDS_PORT'));
const TENANT = env('KV_TENANT');
const BASE = `https://127.0.0.1:${PORT}`;
const RESOURCE = 'https://vault.azure.net';
const ARM_RESOURCE = 'https://management.azure.com';
const FEDERATED_AUDIENCE = 'api://AzureADTokenExchange';

// ---------------------------------------------------------------- identities and tokens

interface Client {
  clientId: string;
  tenant: string;
  secret?: string;
  /** PEM of the client certificate (certificate credential). */
  certificatePem?: string;
  /** Workload identity: a federated credential trusting ServiceAccount tokens. */
  federated?: { subject: string; publicKeyFile: string; issuer?: string };
  /** A managed identity reachable through IMDS; `systemAssigned` answers requests without client_id. */
  managedIdentity?: boolean;
  systemAssigned?: boolean;
  /** false: tokens are issued but the vault answers 403 (no access policy / RBAC role). */
  vaultAccess: boolean;
  /** Issued token lifetime in seconds. */
  tokenSeconds: number;
}

const clients = new Map<string, Client>();
const tokens = new Map<string, { clientId: string; exp: number }>();

clients.set(env('KV_ADMIN_CLIENT_ID'), {
  clientId: env('KV_ADMIN_CLIENT_ID'),
  tenant: TENANT,
  secret: env('KV_ADMIN_CLIENT_SECRET'),
  vaultAccess: true,
  tokenSeconds: 3600,
});

/** What the token endpoints were asked, without credentials (the tests read it). */
const tokenLog: { at: string; clientId: string; grant: string; ok: boolean; error?: string }[] = [];

function issueToken(c: Client): { token: string; expiresIn: number } {
  const token = `kvt.${randomBytes(24).toString('base64url')}`;
  tokens.set(token, { clientId: c.clientId, exp: Date.now() + c.tokenSeconds * 1000 });
  return { token, expiresIn: c.tokenSeconds };
}

interface Jwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signed: Buffer;
  signature: Buffer;
}

function parseJwt(s: string): Jwt | undefined {
  const parts = s.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>,
      payload: JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>,
      signed: Buffer.from(`${parts[0]}.${parts[1]}`),
      signature: Buffer.from(parts[2]!, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

function verifyJwt(jwt: Jwt, key: KeyObject): boolean {
  const alg = jwt.header.alg;
  if (alg === 'RS256') return verify('sha256', jwt.signed, key, jwt.signature);
  if (alg === 'PS256')
    return verify(
      'sha256',
      jwt.signed,
      { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 },
      jwt.signature,
    );
  return false;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Checks a client_assertion; returns an AADSTS-like error text or undefined when valid. */
function checkAssertion(c: Client, assertion: string, tokenUrl: string): string | undefined {
  const jwt = parseJwt(assertion);
  if (!jwt) return 'AADSTS50027: JWT token is invalid or malformed.';
  const p = jwt.payload;
  if (typeof p.exp !== 'number' || p.exp < nowSeconds()) return 'AADSTS700024: Client assertion is expired.';
  if (c.federated) {
    const key = createPublicKey(readFileSync(c.federated.publicKeyFile));
    if (!verifyJwt(jwt, key)) return 'AADSTS700211: No matching federated identity record found (signature).';
    const aud = Array.isArray(p.aud) ? p.aud : [p.aud];
    if (!aud.includes(FEDERATED_AUDIENCE))
      return `AADSTS700212: No matching federated identity record found for presented assertion audience.`;
    if (p.sub !== c.federated.subject)
      return 'AADSTS700213: No matching federated identity record found for presented assertion subject.';
    if (c.federated.issuer && p.iss !== c.federated.issuer)
      return 'AADSTS700211: No matching federated identity record found for presented assertion issuer.';
    return undefined;
  }
  if (c.certificatePem) {
    const cert = new X509Certificate(c.certificatePem);
    const x5t = createHash('sha1').update(cert.raw).digest('base64url');
    const x5tS256 = createHash('sha256').update(cert.raw).digest('base64url');
    if (jwt.header.x5t !== x5t && jwt.header['x5t#S256'] !== x5tS256)
      return 'AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.';
    if (!verifyJwt(jwt, cert.publicKey)) return 'AADSTS700027: Client assertion failed signature validation.';
    if (p.iss !== c.clientId || p.sub !== c.clientId)
      return 'AADSTS700021: Client assertion issuer or subject mismatch.';
    const aud = Array.isArray(p.aud) ? p.aud : [p.aud];
    if (!aud.some((a) => typeof a === 'string' && a.split('?')[0] === tokenUrl))
      return 'AADSTS700016: Client assertion audience is not this token endpoint.';
    return undefined;
  }
  return 'AADSTS7000218: The request body must contain client_secret or client_assertion.';
}

// ---------------------------------------------------------------- vault objects

interface Attributes {
  enabled: boolean;
  created: number;
  updated: number;
  exp?: number;
  nbf?: number;
}

interface Version {
  version: string;
  attributes: Attributes;
  tags?: Record<string, string>;
  contentType?: string;
  /** secret: the value; key: the private JWK; certificate: the DER. */
  value?: string;
  jwk?: Record<string, unknown>;
  cer?: Buffer;
  managed?: boolean;
}

type Kind = 'secrets' | 'keys' | 'certificates';
const vault: Record<Kind, Map<string, Version[]>> = {
  secrets: new Map(),
  keys: new Map(),
  certificates: new Map(),
};

const newVersion = (): string => randomBytes(16).toString('hex');

function attrsIn(a: unknown, prev?: Attributes): Attributes {
  const now = nowSeconds();
  const o = (a && typeof a === 'object' ? a : {}) as Record<string, unknown>;
  const out: Attributes = {
    enabled: typeof o.enabled === 'boolean' ? o.enabled : (prev?.enabled ?? true),
    created: prev?.created ?? now,
    updated: now,
  };
  const exp = typeof o.exp === 'number' ? o.exp : prev?.exp;
  const nbf = typeof o.nbf === 'number' ? o.nbf : prev?.nbf;
  if (exp !== undefined) out.exp = exp;
  if (nbf !== undefined) out.nbf = nbf;
  return out;
}

function attrsOut(a: Attributes, kind: Kind): Record<string, unknown> {
  return {
    ...a,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
    ...(kind === 'keys' ? { exportable: false } : {}),
  };
}

function publicJwk(jwk: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['kty', 'key_ops', 'n', 'e', 'crv', 'x', 'y']) if (jwk[k] !== undefined) out[k] = jwk[k];
  return out;
}

function bundle(kind: Kind, name: string, v: Version): Record<string, unknown> {
  const id = `${BASE}/${kind}/${name}/${v.version}`;
  const common = {
    attributes: attrsOut(v.attributes, kind),
    ...(v.tags ? { tags: v.tags } : {}),
  };
  if (kind === 'secrets')
    return {
      value: v.value,
      id,
      ...(v.contentType ? { contentType: v.contentType } : {}),
      ...(v.managed ? { managed: true, kid: `${BASE}/keys/${name}/${v.version}` } : {}),
      ...common,
    };
  if (kind === 'keys') return { key: { kid: id, ...publicJwk(v.jwk ?? {}) }, ...common };
  const x5t = createHash('sha1').update(v.cer!).digest('base64url');
  return {
    id,
    kid: `${BASE}/keys/${name}/${v.version}`,
    sid: `${BASE}/secrets/${name}/${v.version}`,
    x5t,
    cer: v.cer!.toString('base64'),
    policy: {
      id: `${BASE}/certificates/${name}/policy`,
      key_props: { exportable: true, kty: 'RSA', reuse_key: false },
      secret_props: { contentType: v.contentType ?? 'application/x-pem-file' },
      x509_props: { subject: new X509Certificate(v.cer!).subject.replace(/\n/g, ', ') },
      issuer: { name: 'Self' },
      attributes: { enabled: true, created: v.attributes.created, updated: v.attributes.updated },
    },
    ...common,
  };
}

function item(kind: Kind, name: string, v: Version): Record<string, unknown> {
  const base = `${BASE}/${kind}/${name}`;
  const common = { attributes: attrsOut(v.attributes, kind), ...(v.tags ? { tags: v.tags } : {}) };
  if (kind === 'secrets')
    return {
      id: base,
      ...(v.contentType ? { contentType: v.contentType } : {}),
      ...(v.managed ? { managed: true } : {}),
      ...common,
    };
  if (kind === 'keys') return { kid: base, ...common };
  return { id: base, x5t: createHash('sha1').update(v.cer!).digest('base64url'), ...common };
}

const singular: Record<Kind, string> = { secrets: 'secret', keys: 'key', certificates: 'certificate' };

// ---------------------------------------------------------------- HTTP plumbing

// No parameter properties: Node's type stripping accepts only erasable syntax.
class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly inner: string | undefined;
  challenge: string | undefined;
  constructor(status: number, code: string, message: string, inner?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.inner = inner;
  }
}

function unauthorized(message: string): HttpError {
  const e = new HttpError(401, 'Unauthorized', message);
  e.challenge = `Bearer authorization="${BASE}/${TENANT}", resource="${RESOURCE}"`;
  return e;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'x-ms-keyvault-service-version': '1.9.0.0',
    'x-ms-request-id': randomBytes(8).toString('hex'),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function jsonBody(text: string): Record<string, unknown> {
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'BadParameter', 'The request body is not a JSON object.');
}

const NAME_RE = /^[0-9a-zA-Z-]{1,127}$/;

// ---------------------------------------------------------------- fault injection

interface Fault {
  method?: string;
  /** Requests whose path starts with this prefix (e.g. /secrets/app). */
  pathPrefix: string;
  status: number;
  retryAfter?: number;
  /** How many requests it answers; -1 for all until removed. */
  times: number;
  code?: string;
}
let faults: Fault[] = [];
const requestCounts = new Map<string, number>();

function takeFault(method: string, path: string): Fault | undefined {
  const f = faults.find((x) => (!x.method || x.method === method) && path.startsWith(x.pathPrefix));
  if (!f) return undefined;
  if (f.times > 0) {
    f.times--;
    if (f.times === 0) faults = faults.filter((x) => x !== f);
  }
  return f;
}

// ---------------------------------------------------------------- data plane

function authorize(req: IncomingMessage): Client {
  const h = req.headers.authorization ?? '';
  const m = /^Bearer (\S+)$/.exec(h);
  if (!m) throw unauthorized('AKV10000: Request is missing a Bearer or PoP token.');
  const t = tokens.get(m[1]!);
  if (!t || t.exp < Date.now()) throw unauthorized('AKV10032: Invalid or expired token.');
  const c = clients.get(t.clientId);
  if (!c) throw unauthorized('AKV10032: Unknown client.');
  return c;
}

function latest(versions: Version[]): Version {
  return versions.reduce((a, b) => (b.attributes.created >= a.attributes.created ? b : a));
}

function find(kind: Kind, name: string, version: string): Version {
  const versions = vault[kind].get(name);
  const what = singular[kind];
  if (!versions || versions.length === 0)
    throw new HttpError(
      404,
      `${what[0]!.toUpperCase()}${what.slice(1)}NotFound`,
      `A ${what} with (name/id) ${name} was not found in this key vault.`,
    );
  const v = version ? versions.find((x) => x.version === version) : latest(versions);
  if (!v)
    throw new HttpError(
      404,
      `${what[0]!.toUpperCase()}${what.slice(1)}NotFound`,
      `A ${what} with (name/id) ${name}/${version} was not found in this key vault.`,
    );
  return v;
}

function page(req: URL, all: Record<string, unknown>[], path: string): Record<string, unknown> {
  const max = Math.min(Number(req.searchParams.get('maxresults') ?? '25') || 25, 25);
  const skip = Number(req.searchParams.get('$skiptoken') ?? '0') || 0;
  const value = all.slice(skip, skip + max);
  const next = skip + max < all.length;
  const api = req.searchParams.get('api-version') ?? '7.6';
  return {
    value,
    nextLink: next ? `${BASE}${path}?api-version=${api}&$skiptoken=${skip + max}&maxresults=${max}` : null,
  };
}

function tagsIn(v: unknown): Record<string, string> | undefined {
  if (!v || typeof v !== 'object') return undefined;
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
}

function createKey(body: Record<string, unknown>): Record<string, unknown> {
  const kty = String(body.kty ?? 'RSA');
  if (kty === 'EC' || kty === 'EC-HSM') {
    const crv = String(body.crv ?? 'P-256');
    const named: Record<string, string> = {
      'P-256': 'prime256v1',
      'P-384': 'secp384r1',
      'P-521': 'secp521r1',
    };
    if (!named[crv]) throw new HttpError(400, 'BadParameter', `Unsupported curve ${crv}.`);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: named[crv]! });
    return {
      ...privateKey.export({ format: 'jwk' }),
      kty: 'EC',
      crv,
      key_ops: body.key_ops ?? ['sign', 'verify'],
    };
  }
  if (kty !== 'RSA' && kty !== 'RSA-HSM')
    throw new HttpError(400, 'BadParameter', `Unsupported key type ${kty}.`);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: Number(body.key_size ?? 2048) });
  return {
    ...privateKey.export({ format: 'jwk' }),
    kty: 'RSA',
    key_ops: body.key_ops ?? ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'],
  };
}

function importCertificate(body: Record<string, unknown>): { cer: Buffer; pem: string; contentType: string } {
  const value = String(body.value ?? '');
  const policy = (body.policy ?? {}) as Record<string, unknown>;
  const secretProps = (policy.secret_props ?? {}) as Record<string, unknown>;
  // The SDK sends PEM as text and PKCS#12 as base64; only PEM can be parsed without a library.
  const contentType = String(
    secretProps.contentType ??
      (value.includes('-----BEGIN') ? 'application/x-pem-file' : 'application/x-pkcs12'),
  );
  if (!value.includes('-----BEGIN CERTIFICATE-----')) return importPkcs12(value, contentType);
  const certBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(value)?.[0];
  if (!certBlock) throw new HttpError(400, 'BadParameter', 'The PEM holds no certificate.');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certBlock);
  } catch {
    throw new HttpError(400, 'BadParameter', 'The certificate cannot be parsed.');
  }
  return { cer: cert.raw, pem: value, contentType };
}

/** A PKCS#12 import (base64, no password): the leaf certificate, with a key in the bundle. */
function importPkcs12(value: string, contentType: string): { cer: Buffer; pem: string; contentType: string } {
  let cer: Buffer | undefined;
  let hasKey = false;
  try {
    const p12 = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(Buffer.from(value, 'base64').toString('binary')),
      false,
      '',
    );
    const certBag = forge.pki.oids.certBag ?? '';
    const keyBag = forge.pki.oids.pkcs8ShroudedKeyBag ?? '';
    const cert = p12.getBags({ bagType: certBag })[certBag]?.[0]?.cert;
    hasKey = (p12.getBags({ bagType: keyBag })[keyBag]?.length ?? 0) > 0;
    if (cert) cer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  } catch {
    cer = undefined;
  }
  if (!cer)
    throw new HttpError(400, 'BadParameter', 'The value is neither PEM nor a readable PKCS#12 bundle.');
  if (!hasKey) throw new HttpError(400, 'BadParameter', 'The PKCS#12 bundle holds no private key.');
  return { cer, pem: value, contentType };
}

/** PUT /keys/{name}: an imported JWK (base64url fields, as the SDK sends them). */
function importKey(body: Record<string, unknown>): Record<string, unknown> {
  const key = (body.key ?? {}) as Record<string, unknown>;
  const kty = String(key.kty ?? '');
  if (!['RSA', 'RSA-HSM', 'EC', 'EC-HSM', 'oct', 'oct-HSM'].includes(kty))
    throw new HttpError(400, 'BadParameter', `Unsupported key type ${kty}.`);
  if (
    kty.startsWith('RSA') &&
    (typeof key.n !== 'string' || typeof key.e !== 'string' || typeof key.d !== 'string')
  )
    throw new HttpError(400, 'BadParameter', 'An RSA key import needs n, e and d.');
  if (kty.startsWith('EC') && (typeof key.x !== 'string' || typeof key.y !== 'string'))
    throw new HttpError(400, 'BadParameter', 'An EC key import needs crv, x and y.');
  if (kty.startsWith('oct') && typeof key.k !== 'string')
    throw new HttpError(400, 'BadParameter', 'A symmetric key import needs k.');
  return { ...key, kty: kty.replace(/-HSM$/, '') };
}

async function dataPlane(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '');
  const body = await readBody(req);
  const client = authorize(req);
  const countKey = `${method} ${path}`;
  requestCounts.set(countKey, (requestCounts.get(countKey) ?? 0) + 1);
  const fault = takeFault(method, path);
  if (fault) {
    const headers: Record<string, string> =
      fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
    const code = fault.code ?? (fault.status === 429 ? 'Throttled' : 'InjectedFault');
    send(res, fault.status, { error: { code, message: `Injected ${fault.status} for the test.` } }, headers);
    return;
  }
  if (!client.vaultAccess) {
    const op = method === 'GET' ? 'get' : 'set';
    throw new HttpError(
      403,
      'Forbidden',
      `The user, group or application 'appid=${client.clientId}' does not have ${path.split('/')[1] ?? 'secrets'} ${op} permission on key vault '127.0.0.1'.`,
      'ForbiddenByPolicy',
    );
  }
  const seg = path.split('/').slice(1);
  const kind = seg[0] as Kind;
  if (!(kind in vault)) throw new HttpError(404, 'NotFound', 'No such operation.');
  const store = vault[kind];
  // GET /{kind}
  if (seg.length === 1 && method === 'GET') {
    const all = [...store.entries()]
      .filter(([, vs]) => vs.length > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, vs]) => item(kind, name, latest(vs)));
    send(res, 200, page(url, all, `/${kind}`));
    return;
  }
  const name = seg[1] ?? '';
  if (!NAME_RE.test(name)) throw new HttpError(400, 'BadParameter', `The name ${name} is not valid.`);
  const input = method === 'GET' ? {} : jsonBody(body);
  // GET /{kind}/{name}/versions
  if (seg.length === 3 && seg[2] === 'versions' && method === 'GET') {
    const vs = store.get(name) ?? [];
    if (vs.length === 0) find(kind, name, '');
    const all = vs.map((v) => ({
      ...item(kind, name, v),
      [kind === 'keys' ? 'kid' : 'id']: `${BASE}/${kind}/${name}/${v.version}`,
    }));
    send(res, 200, page(url, all, `/${kind}/${name}/versions`));
    return;
  }
  // PUT /secrets/{name}
  if (kind === 'secrets' && seg.length === 2 && method === 'PUT') {
    if (typeof input.value !== 'string')
      throw new HttpError(400, 'BadParameter', 'Property value is required.');
    const v: Version = {
      version: newVersion(),
      value: input.value,
      attributes: attrsIn(input.attributes),
      ...(tagsIn(input.tags) ? { tags: tagsIn(input.tags) } : {}),
      ...(typeof input.contentType === 'string' ? { contentType: input.contentType } : {}),
    };
    store.set(name, [...(store.get(name) ?? []), v]);
    send(res, 200, bundle(kind, name, v));
    return;
  }
  // PUT /keys/{name}: import
  if (kind === 'keys' && seg.length === 2 && method === 'PUT') {
    const v: Version = {
      version: newVersion(),
      jwk: importKey(input),
      attributes: attrsIn(input.attributes),
      ...(tagsIn(input.tags) ? { tags: tagsIn(input.tags) } : {}),
    };
    store.set(name, [...(store.get(name) ?? []), v]);
    send(res, 200, bundle(kind, name, v));
    return;
  }
  // POST /keys/{name}/create
  if (kind === 'keys' && seg.length === 3 && seg[2] === 'create' && method === 'POST') {
    const v: Version = {
      version: newVersion(),
      jwk: createKey(input),
      attributes: attrsIn(input.attributes),
      ...(tagsIn(input.tags) ? { tags: tagsIn(input.tags) } : {}),
    };
    store.set(name, [...(store.get(name) ?? []), v]);
    send(res, 200, bundle(kind, name, v));
    return;
  }
  // POST /certificates/{name}/import
  if (kind === 'certificates' && seg.length === 3 && seg[2] === 'import' && method === 'POST') {
    const { cer, pem, contentType } = importCertificate(input);
    const version = newVersion();
    const attributes = attrsIn(input.attributes);
    const tags = tagsIn(input.tags);
    const v: Version = { version, cer, contentType, attributes, ...(tags ? { tags } : {}) };
    store.set(name, [...(store.get(name) ?? []), v]);
    // As in Key Vault: the certificate's PEM (with its key) is readable as a managed secret.
    const sv: Version = {
      version,
      value: pem,
      contentType,
      attributes: { ...attributes },
      managed: true,
      ...(tags ? { tags } : {}),
    };
    vault.secrets.set(name, [...(vault.secrets.get(name) ?? []), sv]);
    send(res, 200, bundle(kind, name, v));
    return;
  }
  // GET /{kind}/{name}[/{version}]
  if ((seg.length === 2 || seg.length === 3) && method === 'GET') {
    const v = find(kind, name, seg[2] ?? '');
    if (!v.attributes.enabled && kind === 'secrets')
      throw new HttpError(
        403,
        'Forbidden',
        `Operation get is not allowed on a disabled ${singular[kind]}.`,
        `${singular[kind].replace(/^./, (c) => c.toUpperCase())}Disabled`,
      );
    send(res, 200, bundle(kind, name, v));
    return;
  }
  // PATCH /{kind}/{name}/{version}: attributes, tags, contentType
  if ((seg.length === 2 || seg.length === 3) && method === 'PATCH') {
    const v = find(kind, name, seg[2] ?? '');
    v.attributes = attrsIn(input.attributes, v.attributes);
    const tags = tagsIn(input.tags);
    if (tags) v.tags = tags;
    if (typeof input.contentType === 'string') v.contentType = input.contentType;
    send(res, 200, bundle(kind, name, v));
    return;
  }
  // DELETE /{kind}/{name}: gone at once (no soft delete here)
  if (seg.length === 2 && method === 'DELETE') {
    const v = find(kind, name, '');
    store.delete(name);
    send(res, 200, { ...bundle(kind, name, v), recoveryId: `${BASE}/deleted${kind}/${name}` });
    return;
  }
  throw new HttpError(405, 'MethodNotAllowed', `${method} ${path} is not supported here.`);
}

// ---------------------------------------------------------------- Entra ID endpoints

function openidConfiguration(tenant: string): Record<string, unknown> {
  return {
    token_endpoint: `${BASE}/${tenant}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${BASE}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${BASE}/${tenant}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${BASE}/${tenant}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${BASE}/${tenant}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${BASE}/${tenant}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat'],
    tenant_region_scope: 'NA',
    cloud_instance_name: '127.0.0.1',
    cloud_graph_host_name: '127.0.0.1',
    msgraph_host: '127.0.0.1',
  };
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  send(res, status, {
    error,
    error_description: description,
    error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
  });
}

async function tokenEndpoint(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  tenant: string,
): Promise<void> {
  const form = new URLSearchParams(await readBody(req));
  const clientId = form.get('client_id') ?? '';
  const grant = form.get('grant_type') ?? '';
  const log = (ok: boolean, error?: string): void => {
    tokenLog.push({ at: new Date().toISOString(), clientId, grant, ok, ...(error ? { error } : {}) });
  };
  if (grant !== 'client_credentials') {
    log(false, 'unsupported_grant_type');
    return oauthError(res, 400, 'unsupported_grant_type', 'AADSTS70003: The grant type is not supported.');
  }
  if (tenant !== TENANT) {
    log(false, 'invalid_tenant');
    return oauthError(res, 400, 'invalid_request', `AADSTS90002: Tenant '${tenant}' not found.`);
  }
  const scope = form.get('scope') ?? '';
  // Key Vault's resource, and Azure Resource Manager's (what ACR exchanges for registry tokens).
  if (!scope.split(' ').some((sc) => sc === `${RESOURCE}/.default` || sc === `${ARM_RESOURCE}/.default`)) {
    log(false, 'invalid_scope');
    return oauthError(
      res,
      400,
      'invalid_scope',
      `AADSTS70011: The provided scope '${scope}' is not valid here.`,
    );
  }
  const c = clients.get(clientId);
  if (!c || c.tenant !== tenant || c.managedIdentity) {
    log(false, 'unauthorized_client');
    return oauthError(
      res,
      400,
      'unauthorized_client',
      `AADSTS700016: Application with identifier '${clientId}' was not found in the directory.`,
    );
  }
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  let error: string | undefined;
  if (secret !== null) {
    if (!c.secret || secret !== c.secret) error = 'AADSTS7000215: Invalid client secret provided.';
  } else if (assertion !== null) {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      error = 'AADSTS7000219: client_assertion_type is not supported.';
    else error = checkAssertion(c, assertion, `${BASE}/${tenant}/oauth2/v2.0/token`);
  } else {
    error = 'AADSTS7000218: The request body must contain client_secret or client_assertion.';
  }
  if (error) {
    log(false, error.split(':')[0]);
    return oauthError(res, 401, 'invalid_client', error);
  }
  const { token, expiresIn } = issueToken(c);
  log(true);
  send(res, 200, {
    token_type: 'Bearer',
    expires_in: expiresIn,
    ext_expires_in: expiresIn,
    access_token: token,
  });
}

/** IMDS: GET /metadata/identity/oauth2/token?resource=…[&client_id=…], header Metadata: true. */
function imds(req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (req.headers.metadata !== 'true') {
    send(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    return;
  }
  const resource = url.searchParams.get('resource') ?? '';
  const clientId = url.searchParams.get('client_id') ?? url.searchParams.get('msi_res_id') ?? '';
  const c = clientId
    ? clients.get(clientId)
    : [...clients.values()].find((x) => x.managedIdentity && x.systemAssigned);
  tokenLog.push({
    at: new Date().toISOString(),
    clientId: clientId || '(system-assigned)',
    grant: 'imds',
    ok: !!c?.managedIdentity,
  });
  if (!c?.managedIdentity) {
    send(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
    return;
  }
  if (resource.replace(/\/$/, '') !== RESOURCE) {
    send(res, 400, {
      error: 'invalid_resource',
      error_description: `AADSTS500011: The resource principal named ${resource} was not found.`,
    });
    return;
  }
  const { token, expiresIn } = issueToken(c);
  send(res, 200, {
    access_token: token,
    client_id: c.clientId,
    expires_in: String(expiresIn),
    expires_on: String(nowSeconds() + expiresIn),
    ext_expires_in: String(expiresIn),
    not_before: String(nowSeconds()),
    resource,
    token_type: 'Bearer',
  });
}

// ---------------------------------------------------------------- admin (tests only)

async function admin(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const what = url.pathname.slice('/_admin/'.length);
  if (what === 'clients' && req.method === 'POST') {
    const b = jsonBody(await readBody(req));
    if (typeof b.clientId !== 'string' || !b.clientId)
      throw new HttpError(400, 'BadParameter', 'clientId is required.');
    const c: Client = {
      clientId: b.clientId,
      tenant: typeof b.tenant === 'string' ? b.tenant : TENANT,
      vaultAccess: b.vaultAccess !== false,
      tokenSeconds: typeof b.tokenSeconds === 'number' ? b.tokenSeconds : 3600,
      ...(typeof b.secret === 'string' ? { secret: b.secret } : {}),
      ...(typeof b.certificatePem === 'string' ? { certificatePem: b.certificatePem } : {}),
      ...(b.federated && typeof b.federated === 'object'
        ? { federated: b.federated as Client['federated'] }
        : {}),
      ...(b.managedIdentity === true ? { managedIdentity: true } : {}),
      ...(b.systemAssigned === true ? { systemAssigned: true } : {}),
    };
    // Re-registering an identity (a rotated credential) revokes the tokens it holds.
    if (clients.has(c.clientId)) for (const [t, v] of tokens) if (v.clientId === c.clientId) tokens.delete(t);
    clients.set(c.clientId, c);
    send(res, 200, { clientId: c.clientId });
    return;
  }
  if (what === 'faults' && req.method === 'POST') {
    const b = jsonBody(await readBody(req)) as unknown as Fault;
    faults.push({ ...b, times: typeof b.times === 'number' ? b.times : 1 });
    send(res, 200, { faults: faults.length });
    return;
  }
  if (what === 'faults' && req.method === 'DELETE') {
    faults = [];
    send(res, 200, {});
    return;
  }
  if (what === 'requests' && req.method === 'GET') {
    send(res, 200, { counts: Object.fromEntries(requestCounts), tokens: tokenLog });
    return;
  }
  if (what === 'health') {
    send(res, 200, { ok: true });
    return;
  }
  throw new HttpError(404, 'NotFound', 'No such admin operation.');
}

// ---------------------------------------------------------------- routing

async function route(req: IncomingMessage, res: ServerResponse, imdsOnly: boolean): Promise<void> {
  const url = new URL(req.url ?? '/', BASE);
  try {
    if (url.pathname.replace(/\/+$/, '') === '/metadata/identity/oauth2/token') return imds(req, res, url);
    if (imdsOnly) throw new HttpError(404, 'NotFound', 'Only IMDS is served on this port.');
    if (url.pathname.startsWith('/_admin/')) return await admin(req, res, url);
    if (url.pathname === '/common/discovery/instance' || url.pathname.endsWith('/discovery/instance')) {
      const host = `127.0.0.1:${PORT}`;
      send(res, 200, {
        tenant_discovery_endpoint: `${BASE}/${TENANT}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
      return;
    }
    const oidc = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    if (oidc) return send(res, 200, openidConfiguration(oidc[1]!));
    const tok = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    if (tok && req.method === 'POST') return await tokenEndpoint(req, res, url, tok[1]!);
    await dataPlane(req, res, url);
  } catch (e) {
    if (e instanceof HttpError) {
      const headers: Record<string, string> = {};
      if (e.challenge) headers['www-authenticate'] = e.challenge;
      send(
        res,
        e.status,
        {
          error: { code: e.code, message: e.message, ...(e.inner ? { innererror: { code: e.inner } } : {}) },
        },
        headers,
      );
      return;
    }
    console.error('keyvault test server: internal error', e);
    send(res, 500, { error: { code: 'InternalError', message: 'internal error' } });
  }
}

const tls = { cert: readFileSync(env('KV_TLS_CERT')), key: readFileSync(env('KV_TLS_KEY')) };
createHttpsServer(tls, (req, res) => void route(req, res, false)).listen(PORT, '127.0.0.1', () => {
  console.error(`keyvault test server: https://127.0.0.1:${PORT} (tenant ${TENANT})`);
});
// IMDS is plain HTTP, as on a real VM (169.254.169.254).
createHttpServer((req, res) => void route(req, res, true)).listen(IMDS_PORT, '127.0.0.1', () => {
  console.error(`keyvault test server: IMDS http://127.0.0.1:${IMDS_PORT}`);
});
