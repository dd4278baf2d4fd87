// The gcpsm provider against the in-process Secret Manager emulator over real gRPC, with
// every credential path's tokens flowing to it.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { OAuth2Client } from 'google-auth-library';
import { grpc } from 'google-gax';
import { startEmulator } from '../../../e2e/tools/gcpsm-emulator/emulator.js';
import type { Emulator } from '../../../e2e/tools/gcpsm-emulator/emulator.js';
import { ProviderError } from '../errors.js';
import type { RemoteValue, SecretsClient } from '../types.js';
import type { GcpsmProvider } from '../../api/providers/gcpsm.js';
import { gcpsmProvider } from './index.js';
import { fakeContext, serviceAccountKey, storeOf } from './testing.js';

let emu: Emulator;
let quotaEmu: Emulator;
let admin: SecretManagerServiceClient;
const P = 'unit-proj';
const READER = 'reader@unit-proj.iam.gserviceaccount.com';
const key = serviceAccountKey(READER);
const text = (v: RemoteValue): string =>
  v.kind === 'bytes' ? Buffer.from(v.data).toString() : JSON.stringify(v.data);

async function secret(
  id: string,
  values: string[],
  meta: { labels?: Record<string, string>; annotations?: Record<string, string>; location?: string } = {},
): Promise<void> {
  const parent = meta.location ? `projects/${P}/locations/${meta.location}` : `projects/${P}`;
  await admin.createSecret({
    parent,
    secretId: id,
    secret: {
      ...(meta.location ? {} : { replication: { automatic: {} } }),
      labels: meta.labels ?? {},
      annotations: meta.annotations ?? {},
    },
  });
  for (const v of values)
    await admin.addSecretVersion({ parent: `${parent}/secrets/${id}`, payload: { data: Buffer.from(v) } });
}

async function connect(spec: Partial<GcpsmProvider> = {}, host = emu.address): Promise<SecretsClient> {
  const provider = gcpsmProvider({ emulatorHost: host, retryDelayMs: 10 });
  return provider.connect(
    storeOf({
      projectID: P,
      auth: { secretRef: { secretAccessKeySecretRef: { name: 'k', key: 'json' } } },
      ...spec,
    }),
    fakeContext({ key }),
  );
}

beforeAll(async () => {
  emu = await startEmulator();
  quotaEmu = await startEmulator({ accessQuotaPerMinute: 1 });
  admin = new SecretManagerServiceClient({
    apiEndpoint: '127.0.0.1',
    port: emu.port,
    sslCreds: grpc.credentials.createInsecure(),
    authClient: new OAuth2Client(),
  });
  await secret('app', ['one', JSON.stringify({ db: { password: 'pw2' } })], {
    labels: { team: 'a', env: 'prod' },
    annotations: { 'example.com/owner': 'ops', note: 'n' },
  });
  await secret('app-extra', ['x'], { labels: { team: 'a' } });
  await secret('other', ['o'], { labels: { team: 'b' } });
  await secret('rolled', ['r1', 'r2', 'r3']);
  await admin.disableSecretVersion({ name: `projects/${P}/secrets/rolled/versions/3` });
  await admin.destroySecretVersion({ name: `projects/${P}/secrets/rolled/versions/2` });
  await secret('dead', ['d1']);
  await admin.disableSecretVersion({ name: `projects/${P}/secrets/dead/versions/1` });
  await secret('regional', ['in-eu'], { location: 'europe-west1' });
  await secret('guarded', ['g']);
  await admin.setIamPolicy({
    resource: `projects/${P}/secrets/guarded`,
    policy: {
      bindings: [
        {
          role: 'roles/secretmanager.secretAccessor',
          members: ['serviceAccount:other@x.iam.gserviceaccount.com'],
        },
      ],
    },
  });
});

afterAll(async () => {
  await admin.close();
  await emu.close();
  await quotaEmu.close();
});

describe('gcpsm provider: reading', () => {
  it('reads the latest version, a numbered one and a full resource name', async () => {
    const c = await connect();
    expect(JSON.parse(text(await c.getSecret({ key: 'app' })))).toEqual({ db: { password: 'pw2' } });
    expect(text(await c.getSecret({ key: 'app', version: '1' }))).toBe('one');
    expect(text(await c.getSecret({ key: 'app', version: 'latest' }))).toContain('pw2');
    expect(text(await c.getSecret({ key: `projects/${P}/secrets/app/versions/1` }))).toBe('one');
    expect(text(await c.getSecret({ key: `projects/${P}/secrets/app`, version: '1' }))).toBe('one');
    await expect(c.getSecret({ key: `projects/${P}/secrets/app/versions/1`, version: '2' })).rejects.toThrow(
      /set only one/,
    );
    await expect(c.getSecret({ key: 'bad/key' })).rejects.toThrow(/not a valid secret id/);
    await c.close();
  });

  it('reads regional secrets through the location', async () => {
    const c = await connect({ location: 'europe-west1' });
    expect(text(await c.getSecret({ key: 'regional' }))).toBe('in-eu');
    await expect(c.getSecret({ key: 'app' })).rejects.toMatchObject({ reason: 'NotFound' });
    await c.close();
    const g = await connect();
    expect(text(await g.getSecret({ key: `projects/${P}/locations/europe-west1/secrets/regional` }))).toBe(
      'in-eu',
    );
    await g.close();
  });

  it('LatestOrFail reports a disabled latest version; LatestOrFetch falls back to the newest enabled one', async () => {
    const fail = await connect();
    const err = (await fail.getSecret({ key: 'rolled' }).catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.reason).toBe('NotFound');
    expect(err.message).toBe(
      'secret "rolled" version "latest" is DISABLED (FAILED_PRECONDITION); secretVersionSelectionPolicy LatestOrFail (set LatestOrFetch to fall back to the newest enabled version)',
    );
    await expect(fail.getSecret({ key: 'rolled', version: '2' })).rejects.toThrow(
      'secret "rolled" version "2" is DESTROYED (FAILED_PRECONDITION)',
    );
    const fetch = await connect({ secretVersionSelectionPolicy: 'LatestOrFetch' });
    expect(text(await fetch.getSecret({ key: 'rolled' }))).toBe('r1');
    // An explicit version never falls back.
    await expect(fetch.getSecret({ key: 'rolled', version: '3' })).rejects.toThrow(/is DISABLED/);
    await expect(fetch.getSecret({ key: 'dead' })).rejects.toThrow(
      'secret "dead" has no enabled version (LatestOrFetch)',
    );
  });

  it('fetches labels and annotations with metadataPolicy Fetch', async () => {
    const c = await connect();
    const v = await c.getSecret({ key: 'app', metadataPolicy: 'Fetch' });
    expect(JSON.parse(text(v))).toEqual({
      annotations: { 'example.com/owner': 'ops', note: 'n' },
      labels: { env: 'prod', team: 'a' },
    });
    // Flat aliases, so that a property reaches annotation keys with dots (an exact key wins over
    // a path in property selection); not enumerable, so the whole map shows the two objects only.
    if (v.kind !== 'map') throw new Error('metadata is a map');
    expect(v.data['labels.team']).toBe('a');
    expect(v.data['annotations.example.com/owner']).toBe('ops');
    expect(Object.keys(v.data)).toEqual(['annotations', 'labels']);
  });

  it('finds secrets by name regexp, by labels and by path', async () => {
    const c = await connect();
    const byName = await c.findSecrets!({ name: { regexp: '^app' } });
    expect([...byName.keys()]).toEqual(['app', 'app-extra']);
    expect(text(byName.get('app-extra')!)).toBe('x');
    const byTags = await c.findSecrets!({ tags: { team: 'a', env: 'prod' } });
    expect([...byTags.keys()]).toEqual(['app']);
    const both = await c.findSecrets!({ tags: { team: 'a' }, name: { regexp: 'extra$' } });
    expect([...both.keys()]).toEqual(['app-extra']);
    const byPath = await c.findSecrets!({ path: 'oth' });
    expect([...byPath.keys()]).toEqual(['other']);
    await expect(c.findSecrets!({ name: { regexp: '(' } })).rejects.toThrow(
      'could not compile find.name.regexp: error parsing regexp: missing closing ): `(`',
    );
  });
});

describe('gcpsm provider: errors', () => {
  it('maps NOT_FOUND and PERMISSION_DENIED without values', async () => {
    const c = await connect();
    await expect(c.getSecret({ key: 'ghost' })).rejects.toThrow(
      'secret "ghost" version "latest" not found in project "unit-proj" (NOT_FOUND)',
    );
    await expect(c.getSecret({ key: 'app', version: '9' })).rejects.toMatchObject({ reason: 'NotFound' });
    const denied = (await c.getSecret({ key: 'guarded' }).catch((e: unknown) => e)) as ProviderError;
    expect(denied.reason).toBe('AccessDenied');
    expect(denied.message).toMatch(
      /^the store's identity may not read secret "guarded" version "latest" in project "unit-proj" \(PERMISSION_DENIED/,
    );
  });

  it('retries RESOURCE_EXHAUSTED briefly, then reports Throttled', async () => {
    await secret('q', ['v']);
    // quotaEmu has its own store: seed it.
    const qa = new SecretManagerServiceClient({
      apiEndpoint: '127.0.0.1',
      port: quotaEmu.port,
      sslCreds: grpc.credentials.createInsecure(),
      authClient: new OAuth2Client(),
    });
    await qa.createSecret({
      parent: `projects/${P}`,
      secretId: 'q',
      secret: { replication: { automatic: {} } },
    });
    await qa.addSecretVersion({ parent: `projects/${P}/secrets/q`, payload: { data: Buffer.from('v') } });
    await qa.close();
    const c = await connect({}, quotaEmu.address);
    expect(text(await c.getSecret({ key: 'q' }))).toBe('v');
    const before = quotaEmu.calls.filter((x) => x.method === 'AccessSecretVersion').length;
    const err = (await c.getSecret({ key: 'q' }).catch((e: unknown) => e)) as ProviderError;
    expect(err.reason).toBe('Throttled');
    expect(err.transient).toBe(true);
    expect(err.message).toBe(
      'Secret Manager quota exhausted while reading secret "q" version "latest" in project "unit-proj" (RESOURCE_EXHAUSTED); retrying with backoff',
    );
    expect(quotaEmu.calls.filter((x) => x.method === 'AccessSecretVersion').length - before).toBe(3);
  });

  it('rejects invalid specs before any I/O', () => {
    const p = gcpsmProvider();
    expect(p.validateSpec(storeOf({}))).toBe('spec.provider.gcpsm.projectID must be set');
    expect(p.validateSpec(storeOf({ projectID: P, location: 'Bad Loc' }))).toMatch(/is not a location/);
    expect(
      p.validateSpec(
        storeOf({ projectID: P, auth: { workloadIdentity: { serviceAccountRef: { name: 'x' } } } }),
      ),
    ).toMatch(/needs clusterLocation and clusterName/);
    expect(p.validateSpec(storeOf({ projectID: P, auth: { workloadIdentityFederation: {} } }))).toMatch(
      /not supported/,
    );
    expect(p.validateSpec(storeOf({ projectID: P }))).toBeUndefined();
  });

  it('rejects a Secret that is not a service account key, naming no content', async () => {
    const provider = gcpsmProvider({ emulatorHost: emu.address });
    const store = storeOf({
      projectID: P,
      auth: { secretRef: { secretAccessKeySecretRef: { name: 'k', key: 'json' } } },
    });
    await expect(provider.connect(store, fakeContext({ key: 'not-json-s3cr3t' }))).rejects.toThrow(
      'auth.secretRef.secretAccessKeySecretRef does not hold JSON (a service account key)',
    );
    await expect(provider.connect(store, fakeContext({ key: '{"type":"authorized_user"}' }))).rejects.toThrow(
      /is not a service account JSON key/,
    );
  });
});

describe('gcpsm provider: service account key', () => {
  it('sends a self-signed JWT for the Secret Manager audience, as Google libraries do for keys', async () => {
    const c = await connect();
    expect(await c.validate()).toEqual({ result: 'Valid' });
    await c.getSecret({ key: 'other' });
    const last = emu.calls.filter((x) => x.method === 'AccessSecretVersion').pop()!;
    expect(last.principal).toBe(READER);
    const jwt = last.authorization!.replace(/^Bearer /, '').split('.');
    const claims = JSON.parse(Buffer.from(jwt[1]!, 'base64url').toString()) as Record<string, unknown>;
    expect(claims).toMatchObject({ iss: READER, sub: READER, aud: 'https://secretmanager.googleapis.com/' });
    const header = JSON.parse(Buffer.from(jwt[0]!, 'base64url').toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ alg: 'RS256', kid: 'k1' });
  });

  it('uses the regional audience for a location', async () => {
    const c = await connect({ location: 'europe-west1' });
    await c.getSecret({ key: 'regional' });
    const last = emu.calls.filter((x) => x.method === 'AccessSecretVersion').pop()!;
    const claims = JSON.parse(
      Buffer.from(last.authorization!.replace(/^Bearer /, '').split('.')[1]!, 'base64url').toString(),
    ) as Record<string, unknown>;
    expect(claims.aud).toBe('https://secretmanager.europe-west1.rep.googleapis.com/');
  });
});
