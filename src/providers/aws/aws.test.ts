import { describe, expect, it } from '@jest/globals';
import type { AwsProvider } from '../../api/providers/aws.js';
import { ProviderError } from '../errors.js';
import type { ProviderContext, StoreInfo } from '../types.js';
import { CredentialCache, resolveAuth } from './auth.js';
import type { AuthDeps } from './auth.js';
import { awsError } from './errors.js';
import { awsProvider } from './index.js';
import type { AwsFactories } from './index.js';
import type { AcmApi } from './acm-export.js';
import { ParameterStoreReader } from './parameterstore.js';
import type { SsmApi } from './parameterstore.js';
import { SecretsManagerReader, versionSelector } from './secretsmanager.js';
import type { SmApi } from './secretsmanager.js';

type Handler = (input: Record<string, unknown>) => unknown;

/** A fake SDK client: `send` dispatches on the command class name and records each call. */
function fakeApi(handlers: Record<string, Handler>) {
  const calls: { op: string; input: Record<string, unknown> }[] = [];
  const api = {
    calls,
    destroyed: false,
    async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
      const op = cmd.constructor.name.replace(/Command$/, '');
      calls.push({ op, input: cmd.input });
      const h = handlers[op];
      if (!h) throw new Error(`unexpected ${op}`);
      return h(cmd.input);
    },
    destroy() {
      api.destroyed = true;
    },
  };
  return api;
}

function sdkError(name: string, status: number, message = 'x'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

const signal = new AbortController().signal;
const noop = (): void => undefined;
const ok = async (): Promise<void> => undefined;
const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('utf8');

function sm(handlers: Record<string, Handler>, prefix = '') {
  const api = fakeApi(handlers);
  return { api, reader: new SecretsManagerReader(api as unknown as SmApi, prefix, signal, noop, ok) };
}

function ssmReader(handlers: Record<string, Handler>, prefix = '') {
  const api = fakeApi(handlers);
  return { api, reader: new ParameterStoreReader(api as unknown as SsmApi, prefix, signal, noop, ok) };
}

describe('versionSelector', () => {
  it('reads uuid/<id> and bare UUIDs as version IDs, anything else as a stage', () => {
    const id = '9b2f1c3e-2a4b-4c5d-8e9f-0a1b2c3d4e5f';
    expect(versionSelector(undefined)).toEqual({});
    expect(versionSelector(`uuid/${id}`)).toEqual({ VersionId: id });
    expect(versionSelector(id)).toEqual({ VersionId: id });
    expect(versionSelector('AWSPREVIOUS')).toEqual({ VersionStage: 'AWSPREVIOUS' });
    expect(versionSelector('blue')).toEqual({ VersionStage: 'blue' });
  });
});

describe('awsError', () => {
  it.each([
    ['ResourceNotFoundException', 400, 'NotFound'],
    ['ParameterNotFound', 400, 'NotFound'],
    ['ParameterVersionNotFound', 400, 'NotFound'],
    ['AccessDeniedException', 400, 'AccessDenied'],
    ['DecryptionFailure', 400, 'AccessDenied'],
    ['ThrottlingException', 400, 'Throttled'],
    ['Whatever', 429, 'Throttled'],
    ['InternalServiceError', 500, 'Unavailable'],
    ['Whatever', 503, 'Unavailable'],
    ['UnrecognizedClientException', 400, 'AuthFailed'],
    ['ExpiredTokenException', 400, 'AuthFailed'],
    ['InvalidIdentityToken', 400, 'AuthFailed'],
    ['InvalidParameterException', 400, 'InvalidRequest'],
    ['ValidationException', 400, 'InvalidRequest'],
  ])('%s (HTTP %i) is %s', (name, status, reason) => {
    expect(awsError(sdkError(name, status), 'secret "a"').reason).toBe(reason);
  });

  it('names the subject and the code, never the AWS message', () => {
    const e = awsError(sdkError('AccessDeniedException', 400, 'value=hunter2'), 'secret "db"');
    expect(e.message).toBe(
      `the store's AWS identity is not allowed to read secret "db" (AccessDeniedException, HTTP 400)`,
    );
    expect(e.message).not.toContain('hunter2');
  });

  it('explains a secret marked for deletion', () => {
    const e = awsError(
      sdkError(
        'InvalidRequestException',
        400,
        "You tried to perform the operation on a secret that's currently marked deleted.",
      ),
      'secret "db"',
    );
    expect(e.reason).toBe('InvalidRequest');
    expect(e.message).toMatch(/^secret "db" is marked for deletion/);
  });

  it('treats network failures and missing credentials sensibly', () => {
    expect(awsError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'secret "a"').reason).toBe(
      'Unavailable',
    );
    expect(awsError(Object.assign(new Error('x'), { name: 'CredentialsProviderError' }), 'a').reason).toBe(
      'AuthFailed',
    );
    expect(awsError(new Error('boom'), 'a').reason).toBe('Unavailable');
    // An error body the SDK could not parse: the status decides, no JS error name is shown.
    const unparsed = awsError(sdkError('SyntaxError', 403), 'secret "a"');
    expect(unparsed.reason).toBe('AccessDenied');
    expect(unparsed.message).toBe(`the store's AWS identity is not allowed to read secret "a" (HTTP 403)`);
  });
});

describe('SecretsManagerReader', () => {
  it('returns SecretString and SecretBinary as bytes, with prefix and version selectors', async () => {
    const { api, reader } = sm(
      {
        GetSecretValue: (i) =>
          i.SecretId === 'p/bin' ? { SecretBinary: new Uint8Array([0, 255]) } : { SecretString: 'hello' },
      },
      'p/',
    );
    expect(text((await reader.getSecret({ key: 'a', version: 'AWSPREVIOUS' })).data as Uint8Array)).toBe(
      'hello',
    );
    expect((await reader.getSecret({ key: 'bin' })).data).toEqual(new Uint8Array([0, 255]));
    await reader.getSecret({ key: 'arn:aws:secretsmanager:us-east-1:1:secret:x' });
    expect(api.calls.map((c) => c.input)).toEqual([
      { SecretId: 'p/a', VersionStage: 'AWSPREVIOUS' },
      { SecretId: 'p/bin' },
      { SecretId: 'arn:aws:secretsmanager:us-east-1:1:secret:x' },
    ]);
  });

  it('returns tags for metadataPolicy Fetch', async () => {
    const { reader } = sm({ DescribeSecret: () => ({ Tags: [{ Key: 'team', Value: 'a' }] }) });
    expect(await reader.getSecret({ key: 'a', metadataPolicy: 'Fetch' })).toEqual({
      kind: 'map',
      data: { team: 'a' },
    });
  });

  it('maps a missing secret to NotFound naming the key', async () => {
    const { reader } = sm({
      GetSecretValue: () => {
        throw sdkError('ResourceNotFoundException', 400);
      },
    });
    await expect(reader.getSecret({ key: 'db' })).rejects.toMatchObject({
      reason: 'NotFound',
      message: 'secret "db" not found (ResourceNotFoundException, HTTP 400)',
    });
  });

  it('finds with ListSecrets filters, checks exactly, and fetches 20 per BatchGetSecretValue', async () => {
    const all = Array.from({ length: 45 }, (_, i) => ({
      Name: `app/s${String(i).padStart(2, '0')}`,
      ARN: `arn:s${i}`,
      Tags: [{ Key: 'team', Value: i % 2 === 0 ? 'a' : 'b' }],
    }));
    // Loose server-side matches the reader must drop.
    const loose = [
      { Name: 'APP/x', ARN: 'arn:x', Tags: [{ Key: 'team', Value: 'a' }] },
      { Name: 'app/y', ARN: 'arn:y', Tags: [{ Key: 'team', Value: 'ab' }] },
    ];
    const { api, reader } = sm({
      ListSecrets: (i) =>
        i.NextToken
          ? { SecretList: [...all.slice(30), ...loose] }
          : { SecretList: all.slice(0, 30), NextToken: 't' },
      BatchGetSecretValue: (i) => ({
        SecretValues: (i.SecretIdList as string[]).map((arn) => ({
          ARN: arn,
          Name: all.find((s) => s.ARN === arn)!.Name,
          SecretString: `v-${arn}`,
        })),
      }),
    });
    const found = await reader.findSecrets({ path: 'app/', tags: { team: 'a' } });
    expect(found.size).toBe(23);
    expect(text(found.get('app/s00')!.data as Uint8Array)).toBe('v-arn:s0');
    expect(api.calls[0]!.input.Filters).toEqual([
      { Key: 'name', Values: ['app/'] },
      { Key: 'tag-key', Values: ['team'] },
      { Key: 'tag-value', Values: ['a'] },
    ]);
    const batches = api.calls.filter((c) => c.op === 'BatchGetSecretValue');
    expect(batches.map((b) => (b.input.SecretIdList as string[]).length)).toEqual([20, 3]);
  });

  it('filters by name regexp and fails naming the secret a batch could not read', async () => {
    const { reader } = sm({
      ListSecrets: () => ({
        SecretList: [
          { Name: 'db-one', ARN: 'arn:1' },
          { Name: 'web', ARN: 'arn:2' },
        ],
      }),
      BatchGetSecretValue: () => ({
        SecretValues: [],
        Errors: [{ SecretId: 'arn:1', ErrorCode: 'DecryptionFailure', Message: 'no' }],
      }),
    });
    await expect(reader.findSecrets({ name: { regexp: '^db-' } })).rejects.toMatchObject({
      reason: 'AccessDenied',
      message: expect.stringContaining('secret "db-one" (found by dataFrom.find) cannot be decrypted'),
    });
    await expect(reader.findSecrets({ name: { regexp: '(' } })).rejects.toMatchObject({
      reason: 'InvalidRequest',
    });
  });

  it('makes no batch call when nothing matches', async () => {
    const { api, reader } = sm({ ListSecrets: () => ({ SecretList: [] }) });
    expect((await reader.findSecrets({ path: 'none/' })).size).toBe(0);
    expect(api.calls.map((c) => c.op)).toEqual(['ListSecrets']);
  });
});

describe('ParameterStoreReader', () => {
  it('reads with decryption, versions and labels as name:selector, tags for Fetch', async () => {
    const { api, reader } = ssmReader(
      {
        GetParameter: (i) => ({ Parameter: { Name: i.Name, Value: 'a,b' } }),
        ListTagsForResource: () => ({ TagList: [{ Key: 'k', Value: 'v' }] }),
      },
      '/pre',
    );
    expect(text((await reader.getSecret({ key: '/x' })).data as Uint8Array)).toBe('a,b');
    await reader.getSecret({ key: '/x', version: '3' });
    await reader.getSecret({ key: '/x', version: 'stable' });
    expect(await reader.getSecret({ key: '/x', metadataPolicy: 'Fetch' })).toEqual({
      kind: 'map',
      data: { k: 'v' },
    });
    expect(api.calls.map((c) => c.input)).toEqual([
      { Name: '/pre/x', WithDecryption: true },
      { Name: '/pre/x:3', WithDecryption: true },
      { Name: '/pre/x:stable', WithDecryption: true },
      { ResourceType: 'Parameter', ResourceId: '/pre/x' },
    ]);
  });

  it('finds by path recursively with GetParametersByPath, filtering by regexp', async () => {
    const { api, reader } = ssmReader({
      GetParametersByPath: (i) =>
        i.NextToken
          ? { Parameters: [{ Name: '/app/b/secret', Value: '2' }] }
          : { Parameters: [{ Name: '/app/a', Value: '1' }], NextToken: 'n' },
    });
    const found = await reader.findSecrets({ path: '/app', name: { regexp: 'secret$' } });
    expect([...found.keys()]).toEqual(['/app/b/secret']);
    expect(api.calls[0]!.input).toMatchObject({ Path: '/app', Recursive: true, WithDecryption: true });
  });

  it('finds by tags with DescribeParameters, then GetParameters 10 names at a time', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `/t/p${i}`);
    const { api, reader } = ssmReader({
      DescribeParameters: () => ({ Parameters: names.map((Name) => ({ Name })) }),
      GetParameters: (i) => ({ Parameters: (i.Names as string[]).map((Name) => ({ Name, Value: Name })) }),
    });
    const found = await reader.findSecrets({ tags: { env: 'prod' } });
    expect(found.size).toBe(12);
    expect(api.calls[0]!.input.ParameterFilters).toEqual([
      { Key: 'tag:env', Option: 'Equals', Values: ['prod'] },
    ]);
    expect(
      api.calls.filter((c) => c.op === 'GetParameters').map((c) => (c.input.Names as string[]).length),
    ).toEqual([10, 2]);
  });
});

// ---- auth ----

const store = (aws: AwsProvider, kind: StoreInfo['kind'] = 'SecretStore'): StoreInfo => ({
  kind,
  name: 's',
  namespace: kind === 'SecretStore' ? 'ns' : undefined,
  requesterNamespace: 'req',
  provider: { aws: { service: 'SecretsManager', region: 'us-east-1', ...aws } },
});

function fakeCtx(over: Partial<ProviderContext> = {}) {
  const tokens: { audiences?: string[] }[] = [];
  const ctx: ProviderContext = {
    signal,
    requireTls: () => undefined,
    async readSecretKey(sel) {
      return new TextEncoder().encode(sel.key === 'id' ? 'AKIDSTATIC' : 'secret');
    },
    async readConfigMapKey() {
      return '';
    },
    async requestServiceAccountToken(_sel, opts) {
      tokens.push({ audiences: opts?.audiences });
      return 'header.payload.sig';
    },
    async readServiceAccountAnnotations() {
      return { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111111111111:role/irsa' };
    },
    ...over,
  };
  return { ctx, tokens };
}

function fakeSts(now = () => Date.now()) {
  const calls: { op: string; input: Record<string, unknown>; creds?: string }[] = [];
  let n = 0;
  const deps: AuthDeps = {
    cache: new CredentialCache(now),
    sts: (config) =>
      ({
        async send(cmd: { constructor: { name: string }; input: Record<string, unknown> }) {
          const c = config.credentials as (() => Promise<{ accessKeyId: string }>) | undefined;
          const creds = c ? (await c()).accessKeyId : undefined;
          calls.push({ op: cmd.constructor.name.replace(/Command$/, ''), input: cmd.input, creds });
          n += 1;
          return {
            Credentials: {
              AccessKeyId: `ASIA${n}`,
              SecretAccessKey: 's',
              SessionToken: 't',
              Expiration: new Date(now() + 3600_000),
            },
          };
        },
        destroy() {},
      }) as unknown as ReturnType<AuthDeps['sts']>,
  };
  return { deps, calls };
}

describe('resolveAuth', () => {
  it('uses static keys as they are', async () => {
    const { deps, calls } = fakeSts();
    const spec: AwsProvider = {
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'k', key: 'id' },
          secretAccessKeySecretRef: { name: 'k', key: 'secret' },
        },
      },
    };
    const a = await resolveAuth(store(spec), spec, fakeCtx().ctx, deps);
    expect(await a.credentials!()).toEqual({ accessKeyId: 'AKIDSTATIC', secretAccessKey: 'secret' });
    expect(calls).toHaveLength(0);
  });

  it('leaves the default chain to the SDK without auth and roles', async () => {
    const { deps } = fakeSts();
    const a = await resolveAuth(store({}), {}, fakeCtx().ctx, deps);
    expect(a.credentials).toBeUndefined();
  });

  it('exchanges a TokenRequest token (audience sts.amazonaws.com) for the annotated role, once', async () => {
    const { deps, calls } = fakeSts();
    const { ctx, tokens } = fakeCtx();
    const spec: AwsProvider = { auth: { jwt: { serviceAccountRef: { name: 'sa' } } } };
    const a = await resolveAuth(store(spec), spec, ctx, deps);
    expect((await a.credentials!()).accessKeyId).toBe('ASIA1');
    expect((await a.credentials!()).accessKeyId).toBe('ASIA1');
    // A second client of the same identity reuses the cached credentials.
    const b = await resolveAuth(store(spec), spec, ctx, deps);
    expect((await b.credentials!()).accessKeyId).toBe('ASIA1');
    expect(tokens).toEqual([{ audiences: ['sts.amazonaws.com'] }]);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      op: 'AssumeRoleWithWebIdentity',
      input: { RoleArn: 'arn:aws:iam::111111111111:role/irsa', WebIdentityToken: 'header.payload.sig' },
    });
    // Rejected credentials are dropped and fetched again.
    deps.cache.drop(a.cacheKey!);
    expect((await a.credentials!()).accessKeyId).toBe('ASIA2');
  });

  it('refreshes credentials shortly before they expire', async () => {
    let t = 1_000_000;
    const { deps, calls } = fakeSts(() => t);
    const spec: AwsProvider = { auth: { jwt: { serviceAccountRef: { name: 'sa' } } } };
    const a = await resolveAuth(store(spec), spec, fakeCtx().ctx, deps);
    await a.credentials!();
    t += 50 * 60_000;
    await a.credentials!();
    expect(calls).toHaveLength(1);
    t += 5 * 60_000; // 55 min: within the refresh margin
    expect((await a.credentials!()).accessKeyId).toBe('ASIA2');
  });

  it('fails clearly when the ServiceAccount has no role annotation', async () => {
    const { deps } = fakeSts();
    const { ctx } = fakeCtx({ readServiceAccountAnnotations: async () => ({}) });
    const spec: AwsProvider = { auth: { jwt: { serviceAccountRef: { name: 'sa' } } } };
    await expect(resolveAuth(store(spec), spec, ctx, deps)).rejects.toMatchObject({
      reason: 'InvalidProviderConfig',
      message: expect.stringContaining('ServiceAccount "ns/sa" has no eks.amazonaws.com/role-arn annotation'),
    });
  });

  it('chains additionalRoles then role, with externalID and session tags on role only', async () => {
    const { deps, calls } = fakeSts();
    const spec: AwsProvider = {
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'k', key: 'id' },
          secretAccessKeySecretRef: { name: 'k', key: 'secret' },
        },
      },
      additionalRoles: ['arn:aws:iam::1:role/a', 'arn:aws:iam::1:role/b'],
      role: 'arn:aws:iam::1:role/final',
      externalID: 'ext',
      sessionTags: [{ key: 'team', value: 'x' }],
      transitiveTagKeys: ['team'],
    };
    const a = await resolveAuth(store(spec), spec, fakeCtx().ctx, deps);
    expect((await a.credentials!()).accessKeyId).toBe('ASIA3');
    expect(calls.map((c) => [c.input.RoleArn, c.creds])).toEqual([
      ['arn:aws:iam::1:role/a', 'AKIDSTATIC'],
      ['arn:aws:iam::1:role/b', 'ASIA1'],
      ['arn:aws:iam::1:role/final', 'ASIA2'],
    ]);
    expect(calls[0]!.input.ExternalId).toBeUndefined();
    expect(calls[2]!.input).toMatchObject({
      ExternalId: 'ext',
      Tags: [{ Key: 'team', Value: 'x' }],
      TransitiveTagKeys: ['team'],
    });
    await a.credentials!();
    expect(calls).toHaveLength(3);
  });

  it('tags the session with the namespace, store name and kind under sessionTagsPolicy Simple and Custom', async () => {
    const keys = {
      secretRef: {
        accessKeyIDSecretRef: { name: 'k', key: 'id' },
        secretAccessKeySecretRef: { name: 'k', key: 'secret' },
      },
    };
    const role = 'arn:aws:iam::1:role/final';
    const simple: AwsProvider = {
      auth: keys,
      role,
      sessionTagsPolicy: 'Simple',
      sessionTags: [{ key: 'x', value: 'y' }],
    };
    const custom: AwsProvider = {
      auth: keys,
      role,
      sessionTagsPolicy: 'Custom',
      customSessionTags: { team: 'payments', empty: '' },
    };
    const seen: unknown[] = [];
    for (const [spec, kind] of [
      [simple, 'SecretStore'],
      [custom, 'ClusterSecretStore'],
    ] as const) {
      const { deps, calls } = fakeSts();
      await (
        await resolveAuth(store(spec, kind), spec, fakeCtx().ctx, deps)
      ).credentials!();
      seen.push(calls[0]!.input.Tags);
    }
    expect(seen).toEqual([
      // Simple replaces spec.sessionTags, as in ESO.
      [
        { Key: 'esoNamespace', Value: 'req' },
        { Key: 'esoStoreKind', Value: 'SecretStore' },
        { Key: 'esoStoreName', Value: 's' },
      ],
      [
        { Key: 'esoNamespace', Value: 'req' },
        { Key: 'esoStoreKind', Value: 'ClusterSecretStore' },
        { Key: 'esoStoreName', Value: 's' },
        { Key: 'team', Value: 'payments' },
      ],
    ]);
    // The tags name the requesting namespace, so a ClusterSecretStore's clients are per namespace.
    expect(awsProvider().cacheScope!(store(custom, 'ClusterSecretStore'))).toBe('req');
    const pinned = {
      secretRef: {
        accessKeyIDSecretRef: { name: 'k', key: 'id', namespace: 'ops' },
        secretAccessKeySecretRef: { name: 'k', key: 'secret', namespace: 'ops' },
      },
    };
    expect(awsProvider().cacheScope!(store({ auth: pinned, role }, 'ClusterSecretStore'))).toBe('');
    expect(
      awsProvider().cacheScope!(
        store({ auth: pinned, role, sessionTagsPolicy: 'Simple' }, 'ClusterSecretStore'),
      ),
    ).toBe('req');
  });

  it('maps an STS rejection of the web identity to AuthFailed naming the role', async () => {
    const deps: AuthDeps = {
      cache: new CredentialCache(),
      sts: () =>
        ({
          async send() {
            throw sdkError('InvalidIdentityToken', 400);
          },
          destroy() {},
        }) as unknown as ReturnType<AuthDeps['sts']>,
    };
    const spec: AwsProvider = { auth: { jwt: { serviceAccountRef: { name: 'sa' } } } };
    const a = await resolveAuth(store(spec), spec, fakeCtx().ctx, deps);
    const err = await a.credentials!().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ reason: 'AuthFailed' });
    expect((err as Error).message).toContain('arn:aws:iam::111111111111:role/irsa');
  });
});

describe('awsProvider', () => {
  const p = awsProvider();

  it('validates the spec without I/O', () => {
    expect(p.validateSpec(store({}))).toBeUndefined();
    expect(p.validateSpec(store({ region: '' }))).toMatch(/region must be set/);
    expect(p.validateSpec(store({ role: 'nope' }))).toMatch(/not an IAM role ARN/);
    expect(p.validateSpec(store({ externalID: 'x' }))).toMatch(/apply to role/);
    expect(
      p.validateSpec(
        store({
          auth: { jwt: { serviceAccountRef: { name: 'a' } }, secretRef: { accessKeyIDSecretRef: {} } },
        }),
      ),
    ).toMatch(/not both/);
    expect(p.validateSpec(store({ service: 'Nope' as 'SecretsManager' }))).toMatch(/must be SecretsManager/);
  });

  it('scopes ClusterSecretStore clients by requester only for namespace-relative references', () => {
    const rel: AwsProvider = { auth: { jwt: { serviceAccountRef: { name: 'sa' } } } };
    const abs: AwsProvider = { auth: { jwt: { serviceAccountRef: { name: 'sa', namespace: 'x' } } } };
    expect(p.cacheScope!(store(rel, 'ClusterSecretStore'))).toBe('req');
    expect(p.cacheScope!(store(abs, 'ClusterSecretStore'))).toBe('');
    expect(p.cacheScope!(store(rel))).toBe('');
  });

  it('builds the service client with region, credentials and timeouts, and closes it', async () => {
    const configs: Record<string, unknown>[] = [];
    const api = fakeApi({ GetParameter: () => ({ Parameter: { Value: 'v' } }) });
    const factories: AwsFactories = {
      secretsManager: () => {
        throw new Error('wrong service');
      },
      ssm: (c) => {
        configs.push(c as Record<string, unknown>);
        return api as unknown as SsmApi;
      },
      sts: fakeSts().deps.sts,
    };
    const spec: AwsProvider = {
      service: 'ParameterStore',
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'k', key: 'id' },
          secretAccessKeySecretRef: { name: 'k', key: 'secret' },
        },
      },
    };
    const client = await awsProvider(factories).connect(store(spec), fakeCtx().ctx);
    expect(configs[0]).toMatchObject({ region: 'us-east-1', requestHandler: { requestTimeout: 30_000 } });
    expect(configs[0]!.endpoint).toBeUndefined();
    expect(await client.validate()).toEqual({ result: 'Valid' });
    await client.close();
    expect(api.destroyed).toBe(true);
  });

  it('serves CertificateManager reads (an ARN, no prefix) and pushes (prefixed remote key) with one client', async () => {
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/1';
    const pem = (b: string) => `-----BEGIN CERTIFICATE-----\n${b}\n-----END CERTIFICATE-----\n`;
    const key = '-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n';
    const api = fakeApi({
      GetCertificate: () => ({ Certificate: pem('A'), CertificateChain: pem('A') }),
      DescribeCertificate: () => ({ Certificate: { Options: { Export: 'ENABLED' } } }),
      ExportCertificate: () => ({ Certificate: pem('A'), PrivateKey: key }),
      ListCertificates: () => ({ CertificateSummaryList: [] }),
      ImportCertificate: () => ({ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/2' }),
    });
    const factories: AwsFactories = {
      secretsManager: () => {
        throw new Error('wrong service');
      },
      ssm: () => {
        throw new Error('wrong service');
      },
      acm: () => api as unknown as AcmApi,
      sts: fakeSts().deps.sts,
    };
    const spec: AwsProvider = {
      service: 'CertificateManager',
      prefix: 'p/',
      auth: {
        secretRef: {
          accessKeyIDSecretRef: { name: 'k', key: 'id' },
          secretAccessKeySecretRef: { name: 'k', key: 'secret' },
        },
      },
    };
    const client = await awsProvider(factories).connect(store(spec), fakeCtx().ctx);
    const got = await client.getSecret({ key: arn });
    expect(got.kind === 'bytes' && new TextDecoder().decode(got.data)).toBe(`${pem('A')}${key}`);
    expect(api.calls[0]).toEqual({ op: 'GetCertificate', input: { CertificateArn: arn } });
    const enc = (v: string) => new TextEncoder().encode(v);
    expect(
      await client.writer!.push({
        ref: { remoteKey: 'web' },
        value: { kind: 'map', data: { 'tls.crt': enc(pem('B')), 'tls.key': enc(key) } },
      }),
    ).toBe('created');
    const imported = api.calls.find((c) => c.op === 'ImportCertificate')!.input;
    expect(imported.Tags).toContainEqual({ Key: 'external-secrets-remote-key', Value: 'p/web' });
    await client.close();
    expect(api.destroyed).toBe(true);
  });
});
