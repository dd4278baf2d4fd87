// The kubernetes provider against a fake KubeApi: what it asks the remote apiserver, how it
// builds the remote client's config from each auth method, and how apiserver failures map to
// provider errors.

import { beforeEach, describe, expect, it } from '@jest/globals';
import type {
  KubeObject,
  KubernetesProvider,
  Secret,
  SecretKeySelector,
  ServiceAccountSelector,
} from '../../api/types.js';
import { KubeApiError } from '../../kube/types.js';
import type {
  KubeApi,
  ListOptions,
  ListResult,
  ObjectRef,
  ResourceType,
  WatchEvent,
} from '../../kube/types.js';
import { ProviderError } from '../errors.js';
import { requireTls } from '../tls.js';
import type { ProviderContext, RemoteValue, SecretsClient, StoreInfo } from '../types.js';
import { kubernetesProvider } from './index.js';
import type { RemoteClusterConfig } from './index.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const text = (u: unknown): string => Buffer.from(u as Uint8Array).toString();
const PASSWORD = 'p4ss-w0rd-value';

// ---- a fake remote apiserver ----

interface ListCall {
  type: ResourceType;
  opts: ListOptions;
}

class FakeKube implements KubeApi {
  readonly gets: ObjectRef[] = [];
  readonly lists: ListCall[] = [];
  readonly creates: { ref: ObjectRef; body: unknown }[] = [];
  /** Secrets by namespace/name. */
  readonly secrets = new Map<string, Secret>();
  /** Thrown by every call when set. */
  failure: unknown;
  /** Items per list page (the client asks for 500; a smaller page exercises continue). */
  pageSize = Infinity;
  allowed = true;
  /** What a SelfSubjectRulesReview answers. */
  rules: { verbs?: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[] = [];
  closed = false;

  add(
    namespace: string,
    name: string,
    data: Record<string, string>,
    meta: Partial<Secret['metadata']> = {},
  ): void {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));
    this.secrets.set(`${namespace}/${name}`, { metadata: { name, namespace, ...meta }, data: encoded });
  }

  async get<T extends KubeObject>(ref: ObjectRef): Promise<T> {
    this.gets.push(ref);
    if (this.failure) throw this.failure;
    const s = this.secrets.get(`${ref.namespace}/${ref.name}`);
    if (!s) throw new KubeApiError(404, 'NotFound', `secrets "${ref.name}" not found`);
    return s as unknown as T;
  }

  async list<T extends KubeObject>(type: ResourceType, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.lists.push({ type, opts });
    if (this.failure) throw this.failure;
    const wanted = (opts.labelSelector ?? '')
      .split(',')
      .filter(Boolean)
      .map((term) => term.split('=') as [string, string]);
    const all = [...this.secrets.values()]
      .filter((s) => s.metadata.namespace === opts.namespace)
      .filter((s) => wanted.every(([k, v]) => s.metadata.labels?.[k] === v));
    const start = Number(opts.continue ?? 0);
    const end = Math.min(all.length, start + Math.min(this.pageSize, opts.limit ?? Infinity));
    return {
      items: all.slice(start, end) as unknown as T[],
      resourceVersion: '1',
      continue: end < all.length ? String(end) : undefined,
    };
  }

  async create<T extends KubeObject>(ref: ObjectRef, body: unknown): Promise<T> {
    this.creates.push({ ref, body });
    if (this.failure) throw this.failure;
    if (ref.type.resource === 'selfsubjectrulesreviews')
      return { metadata: {}, status: { resourceRules: this.rules } } as unknown as T;
    return { metadata: {}, status: { allowed: this.allowed } } as unknown as T;
  }

  async apply<T extends KubeObject>(): Promise<T> {
    throw new Error('the kubernetes provider never writes');
  }

  async mergePatch<T extends KubeObject>(): Promise<T> {
    throw new Error('the kubernetes provider never writes');
  }

  async replace<T extends KubeObject>(): Promise<T> {
    throw new Error('the kubernetes provider never writes');
  }

  async delete(): Promise<void> {
    throw new Error('the kubernetes provider never writes');
  }

  watch<T extends KubeObject>(): AsyncIterable<WatchEvent<T>> {
    throw new Error('the kubernetes provider never watches');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

// ---- the operator side: store, credentials, remote client factory ----

interface FakeContext extends ProviderContext {
  secretReads: string[];
  configMapReads: string[];
  tokenRequests: { sel: ServiceAccountSelector; audiences?: string[]; expirationSeconds?: number }[];
}

/** Credentials by "name/key" (Secrets) and "configmap:name/key" (ConfigMaps). */
function context(values: Record<string, string> = {}, allowHttp = false): FakeContext {
  const ctx: FakeContext = {
    secretReads: [],
    configMapReads: [],
    tokenRequests: [],
    signal: new AbortController().signal,
    requireTls: (url, what) => requireTls(url, what, allowHttp),
    async readSecretKey(sel: SecretKeySelector, what: string): Promise<Uint8Array> {
      ctx.secretReads.push(what);
      const v = values[`${sel.name}/${sel.key}`];
      if (v === undefined) throw new ProviderError('InvalidProviderConfig', `${what}: no such Secret key`);
      return new TextEncoder().encode(v);
    },
    async readConfigMapKey(sel: SecretKeySelector, what: string): Promise<string> {
      ctx.configMapReads.push(what);
      const v = values[`configmap:${sel.name}/${sel.key}`];
      if (v === undefined) throw new ProviderError('InvalidProviderConfig', `${what}: no such ConfigMap key`);
      return v;
    },
    async requestServiceAccountToken(sel, opts) {
      ctx.tokenRequests.push({ sel, ...opts });
      return 'sa-token';
    },
    async readServiceAccountAnnotations() {
      return {};
    },
  };
  return ctx;
}

function storeOf(kubernetes: KubernetesProvider, kind: StoreInfo['kind'] = 'SecretStore'): StoreInfo {
  return {
    kind,
    name: 'remote',
    ...(kind === 'SecretStore' ? { namespace: 'app' } : {}),
    requesterNamespace: 'app',
    provider: { kubernetes },
  };
}

const tokenAuth: KubernetesProvider = {
  remoteNamespace: 'prod',
  auth: { token: { bearerToken: { name: 'remote-token', key: 'token' } } },
};

let kube: FakeKube;
let configs: RemoteClusterConfig[];
const provider = kubernetesProvider((cfg) => {
  configs.push(cfg);
  return kube;
});

beforeEach(() => {
  kube = new FakeKube();
  configs = [];
});

async function connect(
  spec: KubernetesProvider = tokenAuth,
  ctx: ProviderContext = context({ 'remote-token/token': 'tok' }),
  kind: StoreInfo['kind'] = 'SecretStore',
): Promise<SecretsClient> {
  return provider.connect(storeOf(spec, kind), ctx);
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

function dataOf(v: RemoteValue): Record<string, unknown> {
  if (v.kind !== 'map') throw new Error('a Secret is read as a map');
  return v.data;
}

// ---- tests ----

describe('getSecret', () => {
  it('reads the Secret named by the key in remoteNamespace, every data key as raw bytes', async () => {
    kube.add('prod', 'db', { username: 'app', password: PASSWORD });
    const c = await connect();
    const data = dataOf(await c.getSecret({ key: 'db' }));
    // The whole map: selecting a property from it is the caller's job (src/secrets/property.ts).
    expect(Object.keys(data).sort()).toEqual(['password', 'username']);
    expect(data.password).toBeInstanceOf(Uint8Array);
    expect(text(data.password)).toBe(PASSWORD);
    expect(kube.gets).toEqual([
      { type: expect.objectContaining({ resource: 'secrets' }), namespace: 'prod', name: 'db' },
    ]);
  });

  it('reads from namespace "default" when remoteNamespace is unset', async () => {
    kube.add('default', 'db', { a: '1' });
    const c = await connect({ auth: tokenAuth.auth });
    expect(text(dataOf(await c.getSecret({ key: 'db' })).a)).toBe('1');
    expect(kube.gets[0]!.namespace).toBe('default');
  });

  it('gives an empty map for a Secret without data', async () => {
    kube.secrets.set('prod/empty', { metadata: { name: 'empty', namespace: 'prod' } });
    const c = await connect();
    expect(dataOf(await c.getSecret({ key: 'empty' }))).toEqual({});
  });

  it('ignores version: a Secret has only its current data', async () => {
    kube.add('prod', 'db', { a: '1' });
    const c = await connect();
    expect(text(dataOf(await c.getSecret({ key: 'db', version: '7' })).a)).toBe('1');
    expect(kube.gets[0]).toMatchObject({ namespace: 'prod', name: 'db' });
  });

  it('returns labels and annotations, not data, with metadataPolicy Fetch', async () => {
    kube.add('prod', 'db', { password: PASSWORD }, { labels: { team: 'a' }, annotations: { owner: 'ops' } });
    kube.add('prod', 'bare', { password: PASSWORD });
    const c = await connect();
    expect(dataOf(await c.getSecret({ key: 'db', metadataPolicy: 'Fetch' }))).toEqual({
      labels: { team: 'a' },
      annotations: { owner: 'ops' },
    });
    expect(dataOf(await c.getSecret({ key: 'bare', metadataPolicy: 'Fetch' }))).toEqual({
      labels: {},
      annotations: {},
    });
    expect(dataOf(await c.getSecret({ key: 'db', metadataPolicy: 'None' })).password).toBeInstanceOf(
      Uint8Array,
    );
  });
});

describe('findSecrets', () => {
  beforeEach(() => {
    kube.add('prod', 'app-db', { p: '1' }, { labels: { team: 'a', env: 'prod' } });
    kube.add('prod', 'app-cache', { p: '2' }, { labels: { team: 'a' } });
    kube.add('prod', 'other', { p: '3' }, { labels: { team: 'b' } });
    kube.add('staging', 'app-db', { p: '4' }, { labels: { team: 'a' } });
  });

  it('finds by name regexp in remoteNamespace, with every value', async () => {
    const c = await connect();
    const found = await c.findSecrets!({ name: { regexp: '^app-' } });
    expect([...found.keys()].sort()).toEqual(['app-cache', 'app-db']);
    expect(text(dataOf(found.get('app-db')!).p)).toBe('1');
    expect(kube.lists[0]!.opts).toMatchObject({ namespace: 'prod', labelSelector: undefined, limit: 500 });
  });

  it('finds by tags through a label selector', async () => {
    const c = await connect();
    const found = await c.findSecrets!({ tags: { team: 'a', env: 'prod' } });
    expect([...found.keys()]).toEqual(['app-db']);
    expect(kube.lists[0]!.opts.labelSelector).toBe('team=a,env=prod');
  });

  it('combines tags, name regexp and a path prefix', async () => {
    const c = await connect();
    expect([...(await c.findSecrets!({ tags: { team: 'a' }, name: { regexp: 'db$' } })).keys()]).toEqual([
      'app-db',
    ]);
    expect([...(await c.findSecrets!({ path: 'oth' })).keys()]).toEqual(['other']);
  });

  it('follows continue tokens across pages', async () => {
    kube.pageSize = 1;
    const c = await connect();
    const found = await c.findSecrets!({ name: { regexp: '.*' } });
    expect([...found.keys()].sort()).toEqual(['app-cache', 'app-db', 'other']);
    expect(kube.lists.map((l) => l.opts.continue)).toEqual([undefined, '1', '2']);
  });

  it('rejects an invalid regexp before asking the apiserver', async () => {
    const c = await connect();
    const e = await rejection(c.findSecrets!({ name: { regexp: '[' } }));
    expect(e.reason).toBe('InvalidRequest');
    expect(e.message).toBe(
      'could not compile find.name.regexp: error parsing regexp: missing closing ]: `[`',
    );
    expect(kube.lists).toHaveLength(0);
  });

  it('maps a refused list, naming the permission a find needs', async () => {
    kube.failure = new KubeApiError(403, 'Forbidden', 'secrets is forbidden');
    const c = await connect();
    const e = await rejection(c.findSecrets!({ name: { regexp: '.*' } }));
    expect([e.reason, e.message]).toEqual([
      'AccessDenied',
      `the store's credentials may not read Secrets in namespace "prod" (RBAC: list secrets)`,
    ]);
  });
});

describe('validate', () => {
  it('asks a SelfSubjectAccessReview whether the store may get Secrets in remoteNamespace', async () => {
    const c = await connect();
    expect(await c.validate()).toEqual({ result: 'Valid' });
    expect(kube.creates).toHaveLength(1);
    expect(kube.creates[0]!.ref.type).toMatchObject({
      group: 'authorization.k8s.io',
      resource: 'selfsubjectaccessreviews',
    });
    expect(kube.creates[0]!.body).toMatchObject({
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace: 'prod', verb: 'get', resource: 'secrets' } },
    });
  });

  it('is an Error when the review says no', async () => {
    kube.allowed = false;
    const c = await connect();
    expect(await c.validate()).toEqual({
      result: 'Error',
      message: `the store's credentials may not get Secrets in namespace "prod"`,
    });
  });

  it('is Valid when only named Secrets may be read (the rules review shows the grant)', async () => {
    kube.allowed = false;
    kube.rules = [
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews'] },
      { verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db'] },
    ];
    const c = await connect();
    expect(await c.validate()).toEqual({ result: 'Valid' });
    expect(kube.creates.map((x) => x.ref.type.resource)).toEqual([
      'selfsubjectaccessreviews',
      'selfsubjectrulesreviews',
    ]);
    expect(kube.creates[1]!.body).toMatchObject({ spec: { namespace: 'prod' } });
  });

  it('is an Error with the mapped reason when the review itself fails', async () => {
    kube.failure = new KubeApiError(401, 'Unauthorized', 'Unauthorized');
    const c = await connect();
    expect(await c.validate()).toEqual({
      result: 'Error',
      message: `the remote apiserver rejected the store's credentials (401)`,
    });
  });
});

describe('apiserver failures', () => {
  // [code, reason, Retry-After (s), expected reason, expected message]
  const cases: [number, string, number | undefined, string, string][] = [
    [404, 'NotFound', undefined, 'NotFound', 'Secret "db" not found in namespace "prod"'],
    [
      403,
      'Forbidden',
      undefined,
      'AccessDenied',
      `the store's credentials may not read Secret "db" in namespace "prod" (RBAC: get secrets)`,
    ],
    [
      401,
      'Unauthorized',
      undefined,
      'AuthFailed',
      `the remote apiserver rejected the store's credentials (401)`,
    ],
    [429, 'TooManyRequests', 3, 'Throttled', 'remote apiserver: TooManyRequests (429)'],
    [503, 'ServiceUnavailable', 5, 'Unavailable', 'remote apiserver: ServiceUnavailable (503)'],
    [500, 'InternalError', undefined, 'Unavailable', 'remote apiserver: InternalError (500)'],
    [0, 'NetworkError', undefined, 'Unavailable', 'remote apiserver: NetworkError (0)'],
    [422, 'Invalid', undefined, 'InvalidRequest', 'remote apiserver answered 422 Invalid for Secret "db"'],
  ];
  it.each(cases)('%d %s becomes a ProviderError', async (code, reason, retryAfter, want, message) => {
    kube.add('prod', 'db', { password: PASSWORD });
    kube.failure = new KubeApiError(
      code,
      reason,
      `GET /api/v1/namespaces/prod/secrets/db: ${reason}`,
      retryAfter,
    );
    const c = await connect();
    const e = await rejection(c.getSecret({ key: 'db' }));
    expect({ reason: e.reason, message: e.message, retryAfterMs: e.retryAfterMs }).toEqual({
      reason: want,
      message,
      retryAfterMs: retryAfter === undefined ? undefined : retryAfter * 1000,
    });
    expect(e.message).not.toContain(PASSWORD);
  });

  it('maps any other failure to Unavailable', async () => {
    kube.failure = new Error('socket hang up');
    const c = await connect();
    const e = await rejection(c.getSecret({ key: 'db' }));
    expect([e.reason, e.message]).toEqual(['Unavailable', 'remote apiserver: socket hang up']);
  });
});

describe('validateSpec', () => {
  const check = (spec: KubernetesProvider | undefined) =>
    provider.validateSpec({ ...storeOf({}), provider: spec ? { kubernetes: spec } : {} });
  const sel = { name: 's', key: 'k' };

  it('accepts each auth method alone, and authRef', () => {
    expect(check(tokenAuth)).toBeUndefined();
    expect(check({ auth: { cert: { clientCert: sel, clientKey: sel } } })).toBeUndefined();
    expect(check({ auth: { serviceAccount: { name: 'reader' } } })).toBeUndefined();
    expect(check({ authRef: sel })).toBeUndefined();
  });

  it('names what is missing or conflicting', () => {
    expect(check(undefined)).toBe('spec.provider.kubernetes is missing');
    expect(check({})).toBe('spec.provider.kubernetes needs auth (serviceAccount, token or cert) or authRef');
    expect(check({ ...tokenAuth, authRef: sel })).toBe(
      'spec.provider.kubernetes: set exactly one of auth.serviceAccount, auth.token, auth.cert, authRef',
    );
    expect(check({ auth: { serviceAccount: {} } })).toBe(
      'spec.provider.kubernetes.auth.serviceAccount.name must be set',
    );
    expect(check({ auth: { token: {} } })).toBe(
      'spec.provider.kubernetes.auth.token.bearerToken must be set',
    );
    expect(check({ auth: { cert: { clientCert: sel } } })).toBe(
      'spec.provider.kubernetes.auth.cert needs clientCert and clientKey',
    );
    expect(check({ ...tokenAuth, server: { url: 'kubernetes.default.svc' } })).toBe(
      'spec.provider.kubernetes.server.url "kubernetes.default.svc" must start with https:// (or http:// with --allow-insecure-credentials)',
    );
  });
});

describe('cacheScope', () => {
  const scope = (spec: KubernetesProvider, kind: StoreInfo['kind'] = 'ClusterSecretStore') =>
    provider.cacheScope!(storeOf(spec, kind));

  it('is per requesting namespace when a ClusterSecretStore credential names no namespace', () => {
    expect(scope(tokenAuth)).toBe('app');
    expect(scope({ auth: { serviceAccount: { name: 'reader' } } })).toBe('app');
    expect(
      scope({
        auth: {
          cert: { clientCert: { name: 'c', key: 'k', namespace: 'ops' }, clientKey: { name: 'k', key: 'k' } },
        },
      }),
    ).toBe('app');
    expect(scope({ authRef: { name: 'kc', key: 'config' } })).toBe('app');
  });

  it('counts a caProvider without a namespace: the CA, too, comes from the requester namespace', () => {
    const ops = { name: 't', key: 'k', namespace: 'ops' };
    const spec = (caNamespace?: string): KubernetesProvider => ({
      server: { caProvider: { type: 'ConfigMap', name: 'ca', key: 'pem', namespace: caNamespace } },
      auth: { token: { bearerToken: ops } },
    });
    expect(scope(spec())).toBe('app');
    expect(scope(spec('ops'))).toBe('');
  });

  it('is shared when every credential names its namespace, and always for a SecretStore', () => {
    expect(scope({ auth: { token: { bearerToken: { name: 't', key: 'k', namespace: 'ops' } } } })).toBe('');
    expect(scope({ auth: { serviceAccount: { name: 'reader', namespace: 'ops' } } })).toBe('');
    expect(scope(tokenAuth, 'SecretStore')).toBe('');
  });
});

describe('connect: the remote client', () => {
  it('token: the trimmed bearer token, the default server and the CA bundle', async () => {
    const ctx = context({ 'remote-token/token': 'tok\n' });
    const c = await connect({ ...tokenAuth, server: { caBundle: b64('CA PEM') } }, ctx);
    expect(configs).toEqual([{ server: 'https://kubernetes.default.svc', caData: 'CA PEM', token: 'tok' }]);
    expect(ctx.secretReads).toEqual(['auth.token.bearerToken']);
    expect(c.expiresAt).toBeUndefined();
  });

  it('cert: the client certificate and key, no token', async () => {
    const ctx = context({ 'tls/crt': 'CERT', 'tls/key': 'KEY' });
    await connect(
      {
        server: { url: 'https://remote:6443', caBundle: b64('CA') },
        auth: { cert: { clientCert: { name: 'tls', key: 'crt' }, clientKey: { name: 'tls', key: 'key' } } },
      },
      ctx,
    );
    expect(configs).toEqual([
      { server: 'https://remote:6443', caData: 'CA', certData: 'CERT', keyData: 'KEY' },
    ]);
    expect(ctx.secretReads).toEqual(['auth.cert.clientCert', 'auth.cert.clientKey']);
  });

  it('serviceAccount: a 10-minute TokenRequest token, and a client that expires a minute before it', async () => {
    const ctx = context();
    const before = Date.now();
    const c = await connect(
      {
        server: { caBundle: b64('CA') },
        auth: { serviceAccount: { name: 'reader', audiences: ['remote'] } },
      },
      ctx,
    );
    expect(ctx.tokenRequests).toEqual([
      { sel: { name: 'reader', audiences: ['remote'] }, audiences: ['remote'], expirationSeconds: 600 },
    ]);
    expect(configs[0]).toMatchObject({ token: 'sa-token' });
    expect(c.expiresAt).toBeGreaterThanOrEqual(before + 540_000);
    expect(c.expiresAt).toBeLessThanOrEqual(Date.now() + 540_000);
  });

  it('plain http://: refused before a token is minted or a credential read, unless allowed', async () => {
    const spec: KubernetesProvider = {
      server: { url: 'http://user:pw@tenant.example:8080/path' },
      auth: { serviceAccount: { name: 'reader' } },
    };
    const ctx = context();
    const e = await rejection(connect(spec, ctx));
    expect(e.reason).toBe('InvalidProviderConfig');
    expect(e.message).toContain('http://tenant.example:8080 is plain HTTP');
    expect(e.message).not.toContain('pw');
    expect(ctx.tokenRequests).toEqual([]);
    expect(configs).toEqual([]);
    const allowed = context({}, true);
    await connect(spec, allowed);
    expect(allowed.tokenRequests).toHaveLength(1);
    expect(configs[0]?.server).toBe('http://user:pw@tenant.example:8080/path');
  });

  it('authRef: a kubeconfig whose server is plain http:// is refused', async () => {
    const kubeconfig = JSON.stringify({
      clusters: [{ name: 'c', cluster: { server: 'http://other:8080' } }],
      users: [{ name: 'u', user: { token: 'kc-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    });
    const e = await rejection(
      connect({ authRef: { name: 'kc', key: 'config' } }, context({ 'kc/config': kubeconfig })),
    );
    expect([e.reason, e.message]).toEqual([
      'InvalidProviderConfig',
      expect.stringContaining("the authRef kubeconfig's server http://other:8080 is plain HTTP"),
    ]);
    expect(configs).toEqual([]);
  });

  it('reads the CA from caProvider, a ConfigMap or a Secret', async () => {
    const ctx = context({ 'remote-token/token': 'tok', 'configmap:ca/pem': 'CM CA', 'ca/pem': 'SECRET CA' });
    await connect(
      { ...tokenAuth, server: { caProvider: { type: 'ConfigMap', name: 'ca', key: 'pem' } } },
      ctx,
    );
    await connect({ ...tokenAuth, server: { caProvider: { type: 'Secret', name: 'ca', key: 'pem' } } }, ctx);
    expect(configs.map((c) => c.caData)).toEqual(['CM CA', 'SECRET CA']);
    expect(ctx.configMapReads).toEqual(['server.caProvider']);
  });

  it('authRef: server, CA and user from the kubeconfig in the Secret, spec.server ignored', async () => {
    const kubeconfig = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'c', cluster: { server: 'https://other:6443', 'certificate-authority-data': b64('KC CA') } },
      ],
      users: [{ name: 'u', user: { token: 'kc-token' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    });
    const ctx = context({ 'kc/config': kubeconfig });
    await connect({ server: { url: 'https://ignored' }, authRef: { name: 'kc', key: 'config' } }, ctx);
    expect(configs).toEqual([
      {
        server: 'https://other:6443',
        caData: 'KC CA',
        certData: undefined,
        keyData: undefined,
        token: 'kc-token',
      },
    ]);
    expect(ctx.secretReads).toEqual(['authRef']);
  });

  it('authRef: a broken kubeconfig, or one pointing at files, is an InvalidProviderConfig', async () => {
    const ctx = context({
      'kc/broken': 'clusters: [',
      'kc/files': JSON.stringify({
        clusters: [{ name: 'c', cluster: { server: 'https://k', 'certificate-authority': '/etc/ca.crt' } }],
        contexts: [{ name: 'x', context: { cluster: 'c' } }],
        'current-context': 'x',
      }),
    });
    const broken = await rejection(connect({ authRef: { name: 'kc', key: 'broken' } }, ctx));
    expect([broken.reason, broken.message]).toEqual([
      'InvalidProviderConfig',
      'authRef: the kubeconfig is not valid YAML',
    ]);
    const files = await rejection(connect({ authRef: { name: 'kc', key: 'files' } }, ctx));
    expect(files.reason).toBe('InvalidProviderConfig');
    expect(files.message).toMatch(/^authRef: .*file paths and exec plugins are not allowed here/);
    expect(configs).toHaveLength(0);
  });

  it('passes credential failures through', async () => {
    const e = await rejection(connect(tokenAuth, context()));
    expect([e.reason, e.message]).toEqual([
      'InvalidProviderConfig',
      'auth.token.bearerToken: no such Secret key',
    ]);
  });

  it('closes the remote client with the provider client', async () => {
    const c = await connect();
    await c.close();
    expect(kube.closed).toBe(true);
  });
});
