// The reconciler with generators (VaultDynamicSecret): when values are issued, renewed,
// re-issued and given back, with a fake generator and no cluster.

import { describe, expect, it } from '@jest/globals';
import type { ExternalSecret, GeneratorLease, Secret } from '../../api/types.js';
import { ProviderError } from '../../providers/errors.js';
import { GeneratorNotSupportedError } from '../../providers/generator.js';
import type { GeneratorAccess } from '../generator/access.js';
import { reconcileExternalSecret } from './reconcile.js';
import type { EsWorld } from './world.js';
import { targetInfoFromSecret } from './target.js';
import type { TargetSecretInfo } from './target.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const enc = (s: string) => new TextEncoder().encode(s);

interface Fake extends GeneratorAccess {
  log: string[];
  fail?: ProviderError;
  renewGrant?: number;
}

function fakeGenerators(): Fake {
  let n = 0;
  const f: Fake = {
    log: [],
    async generate(_ns, ref) {
      if (f.fail) throw f.fail;
      n++;
      f.log.push(`generate ${ref.name}`);
      return {
        provider: 'vault',
        data: { username: enc(`user-${n}`), password: enc(`pw-${n}`) },
        lease: { leaseID: `db/creds/app/${n}`, leaseDuration: 60, renewable: true, expireAt: now + 60_000 },
      };
    },
    async renew(_ns, l) {
      f.log.push(`renew ${l.leaseID}`);
      return { leaseDuration: f.renewGrant ?? l.leaseDuration, renewable: true };
    },
    async revoke(_ns, l) {
      f.log.push(`revoke ${l.leaseID}`);
    },
  };
  return f;
}

let now = T0;

function world(gen: Fake, target?: TargetSecretInfo): EsWorld {
  return {
    now: () => now,
    controllerClass: '',
    store: () => undefined,
    namespaceLabels: () => ({}),
    source: {
      reader: async () => {
        throw new Error('no stores here');
      },
    },
    generators: gen,
    targetSecret: async () => target,
    maxErrorBackoffMs: 300_000,
    failures: 0,
    random: () => 0.5,
  };
}

function es(status?: ExternalSecret['status'], extra: Partial<NonNullable<ExternalSecret['spec']>> = {}) {
  return {
    metadata: { name: 'app', namespace: 'ns', uid: 'u1', generation: 1 },
    spec: {
      refreshInterval: '1h',
      dataFrom: [{ sourceRef: { generatorRef: { kind: 'VaultDynamicSecret', name: 'db' } } }],
      ...extra,
    },
    status,
  } satisfies ExternalSecret;
}

async function firstSync(gen: Fake) {
  now = T0;
  const out = await reconcileExternalSecret(es(), world(gen), 'create');
  const body = (out.write as { body: Secret }).body;
  return { out, target: targetInfoFromSecret({ ...body, metadata: { ...body.metadata, uid: 's1' } }, false) };
}

describe('reconcileExternalSecret with a generator', () => {
  it('issues values without a secretStoreRef and records the lease, never the values, in status', async () => {
    const gen = fakeGenerators();
    const { out } = await firstSync(gen);
    expect(gen.log).toEqual(['generate db']);
    expect(out.status?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'SecretSynced' });
    expect(out.status?.generatorLeases).toEqual([
      {
        source: 'dataFrom[0]',
        kind: 'VaultDynamicSecret',
        name: 'db',
        leaseID: 'db/creds/app/1',
        leaseDuration: 60,
        renewable: true,
        issueTime: '2026-03-01T10:00:00.000Z',
        expireTime: '2026-03-01T10:01:00.000Z',
      },
    ] satisfies GeneratorLease[]);
    expect(JSON.stringify(out.status)).not.toContain('pw-1');
    // Next action: the renewal at 2/3 of the lease.
    expect(out.requeueAfterMs).toBe(40_000);
    expect(out.revokeLeases).toEqual([]);
  });

  it('never re-issues or renews sooner than the operator floor, however short the lease', async () => {
    const gen = fakeGenerators();
    gen.generate = async () => ({
      provider: 'vault',
      data: { password: enc('pw-short') },
      // A 3 s lease that cannot be renewed would be re-issued every 2 s.
      lease: { leaseID: 'db/creds/app/short', leaseDuration: 3, renewable: false, expireAt: now + 3_000 },
    });
    now = T0;
    const w = { ...world(gen), minRefreshIntervalMs: 10_000 };
    const out = await reconcileExternalSecret(es(), w, 'create');
    expect(out.status?.conditions?.[0]).toMatchObject({ status: 'True' });
    expect(out.requeueAfterMs).toBe(10_000);
  });

  it('renews on a refresh or a restart instead of issuing, then rotates at the max TTL', async () => {
    const gen = fakeGenerators();
    const { out, target } = await firstSync(gen);
    // An operator restart 10 s later: nothing due, nothing issued.
    now = T0 + 10_000;
    const idle = await reconcileExternalSecret(es(out.status), world(gen, target), 'relist');
    expect(idle).toMatchObject({ synced: false, requeueAfterMs: 30_000 });
    expect(idle.status).toBeUndefined();
    // At 2/3: renewed, the new expiry recorded.
    now = T0 + 40_000;
    const renewed = await reconcileExternalSecret(es(out.status), world(gen, target), 'retry');
    expect(gen.log).toEqual(['generate db', 'renew db/creds/app/1']);
    expect(renewed.status?.generatorLeases?.[0]).toMatchObject({
      renewTime: '2026-03-01T10:00:40.000Z',
      expireTime: '2026-03-01T10:01:40.000Z',
    });
    expect(renewed.write).toBeUndefined();
    // A renewal capped by the max TTL: new values first, the old lease revoked after the write.
    now = T0 + 80_000;
    gen.renewGrant = 15;
    const rotated = await reconcileExternalSecret(es(renewed.status), world(gen, target), 'retry');
    expect(gen.log.slice(2)).toEqual(['renew db/creds/app/1', 'generate db']);
    expect(rotated.write?.op).toBe('apply');
    expect(rotated.status?.generatorLeases?.[0]?.leaseID).toBe('db/creds/app/2');
    expect(rotated.revokeLeases?.map((l) => l.leaseID)).toEqual(['db/creds/app/1']);
    expect(rotated.events.map((e) => e.reason)).toContain('Rotated');
  });

  it('a refresh interval shorter than the lease renews nothing and does not spin', async () => {
    const gen = fakeGenerators();
    now = T0;
    const first = await reconcileExternalSecret(
      es(undefined, { refreshInterval: '10s' }),
      world(gen),
      'create',
    );
    const body = (first.write as { body: Secret }).body;
    const target = targetInfoFromSecret({ ...body, metadata: { ...body.metadata, uid: 's1' } }, false);
    now = T0 + 15_000;
    const out = await reconcileExternalSecret(
      es(first.status, { refreshInterval: '10s' }),
      world(gen, target),
      'refresh',
    );
    expect(gen.log).toEqual(['generate db']);
    expect(out.write).toBeUndefined();
    expect(out.requeueAfterMs).toBeGreaterThanOrEqual(5_000);
  });

  it('keeps the values when Vault is down for a renewal, Ready=False, and recovers by renewing', async () => {
    const gen = fakeGenerators();
    const { out, target } = await firstSync(gen);
    now = T0 + 40_000;
    gen.renew = async () => {
      throw new ProviderError('Unavailable', 'Vault at http://vault is sealed');
    };
    const failed = await reconcileExternalSecret(es(out.status), world(gen, target), 'retry');
    expect(failed.write).toBeUndefined();
    expect(failed.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'LeaseRenewalFailed' });
    expect(failed.status?.generatorLeases).toEqual(out.status?.generatorLeases);
    expect(failed.requeueAfterMs).toBeLessThanOrEqual(19_000);
    now = T0 + 45_000;
    gen.renew = async () => ({ leaseDuration: 60, renewable: true });
    const back = await reconcileExternalSecret(es(failed.status), world(gen, target), 'retry');
    expect(back.write).toBeUndefined();
    expect(back.status?.conditions?.[0]).toMatchObject({ status: 'True', reason: 'SecretSynced' });
    expect(gen.log).toEqual(['generate db']);
  });

  it('gives back values issued by a sync that then fails', async () => {
    const gen = fakeGenerators();
    now = T0;
    const out = await reconcileExternalSecret(
      es(undefined, { target: { template: { data: { x: '{{ .nope | fail }}' } } } }),
      world(gen),
      'create',
    );
    expect(out.failed).toBe(true);
    expect(out.write).toBeUndefined();
    expect(out.status?.generatorLeases).toBeUndefined();
    expect(out.revokeLeases?.map((l) => l.leaseID)).toEqual(['db/creds/app/1']);
  });

  it('re-issues on a spec change and when the target Secret is gone', async () => {
    const gen = fakeGenerators();
    const { out } = await firstSync(gen);
    now = T0 + 5_000;
    const missing = await reconcileExternalSecret(es(out.status), world(gen, undefined), 'drift');
    expect(missing.write?.op).toBe('apply');
    expect(missing.revokeLeases?.map((l) => l.leaseID)).toEqual(['db/creds/app/1']);
  });
});

describe('reconcileExternalSecret with a generator without leases (Password, ...)', () => {
  function passwords(): Fake {
    let n = 0;
    const f: Fake = {
      log: [],
      async generate(_ns, ref, where) {
        if (f.fail) throw f.fail;
        n++;
        f.log.push(`generate ${ref.name} ${where}`);
        return { provider: 'password', data: { password: enc(`pw-${n}`) } };
      },
      renew: async () => ({ leaseDuration: 0, renewable: false }),
      revoke: async () => undefined,
    };
    return f;
  }
  const pwSpec = (refreshInterval: string) => ({
    refreshInterval,
    dataFrom: [
      {
        sourceRef: { generatorRef: { kind: 'Password' as const, name: 'pw' } },
        rewrite: [{ regexp: { source: '^', target: 'a-' } }],
      },
      {
        sourceRef: { generatorRef: { kind: 'Password' as const, name: 'pw' } },
        rewrite: [{ regexp: { source: '^', target: 'b-' } }],
      },
    ],
  });

  it('calls the generator once per entry, keeps the values until the refresh is due, then issues again', async () => {
    const gen = passwords();
    now = T0;
    const first = await reconcileExternalSecret(es(undefined, pwSpec('1h')), world(gen), 'create');
    const body = (first.write as { body: Secret }).body;
    expect(Object.keys(body.data ?? {}).sort()).toEqual(['a-password', 'b-password']);
    expect(body.data?.['a-password']).not.toBe(body.data?.['b-password']);
    expect(gen.log).toEqual(['generate pw dataFrom[0]', 'generate pw dataFrom[1]']);
    expect(first.status?.generatorLeases).toBeUndefined();
    const target = targetInfoFromSecret({ ...body, metadata: { ...body.metadata, uid: 's1' } }, false);
    // Restart, relist, store revalidation: nothing is due, nothing is issued.
    for (const [t, trigger] of [
      [T0 + 1000, 'relist'],
      [T0 + 30 * 60_000, 'refresh'],
    ] as const) {
      now = t;
      const idle = await reconcileExternalSecret(es(first.status, pwSpec('1h')), world(gen, target), trigger);
      expect(idle.write).toBeUndefined();
    }
    expect(gen.log).toHaveLength(2);
    now = T0 + 60 * 60_000;
    const due = await reconcileExternalSecret(es(first.status, pwSpec('1h')), world(gen, target), 'refresh');
    expect(due.write?.op).toBe('apply');
    expect(gen.log).toHaveLength(4);
  });

  it('says GeneratorNotSupported for a kind without an implementation', async () => {
    const gen = passwords();
    gen.fail = new GeneratorNotSupportedError('Grafana', 'not implemented');
    now = T0;
    const out = await reconcileExternalSecret(es(undefined, pwSpec('1h')), world(gen), 'create');
    expect(out.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'GeneratorNotSupported',
      message: 'generator kind Grafana is not supported by Syncret: not implemented',
    });
  });
});

describe('reconcileExternalSecret with revokeOnly leases (GitLab deploy tokens, Grafana tokens)', () => {
  function tokens(): Fake {
    let n = 0;
    const f: Fake = {
      log: [],
      async generate(_ns, ref) {
        n++;
        f.log.push(`generate ${ref.name}`);
        return {
          provider: 'gitlab',
          data: { token: enc(`gldt-${n}`) },
          lease: {
            leaseID: `projects/1/deploy_tokens/${n}`,
            leaseDuration: 0,
            renewable: false,
            expireAt: now + 3600_000,
            revokeOnly: true,
          },
        };
      },
      renew: async () => {
        throw new Error('revokeOnly leases are never renewed');
      },
      revoke: async (_ns, l) => {
        f.log.push(`revoke ${l.leaseID}`);
      },
    };
    return f;
  }
  const spec = {
    refreshInterval: '10m',
    dataFrom: [{ sourceRef: { generatorRef: { kind: 'GitlabDeployToken' as const, name: 'gl' } } }],
  };

  it('follows refreshInterval, and gives the replaced token back after the write', async () => {
    const gen = tokens();
    now = T0;
    const first = await reconcileExternalSecret(es(undefined, spec), world(gen), 'create');
    expect(first.status?.generatorLeases).toEqual([
      expect.objectContaining({ leaseID: 'projects/1/deploy_tokens/1', revokeOnly: true }),
    ]);
    const body = (first.write as { body: Secret }).body;
    const target = targetInfoFromSecret({ ...body, metadata: { ...body.metadata, uid: 's1' } }, false);
    now = T0 + 60_000;
    const idle = await reconcileExternalSecret(es(first.status, spec), world(gen, target), 'relist');
    expect(idle.write).toBeUndefined();
    expect(idle.status).toBeUndefined();
    now = T0 + 10 * 60_000;
    const due = await reconcileExternalSecret(es(first.status, spec), world(gen, target), 'refresh');
    expect(due.write?.op).toBe('apply');
    expect(due.status?.generatorLeases?.map((l) => l.leaseID)).toEqual(['projects/1/deploy_tokens/2']);
    expect(due.revokeLeases?.map((l) => l.leaseID)).toEqual(['projects/1/deploy_tokens/1']);
    expect(due.events.map((e) => e.reason)).not.toContain('Rotated');
    expect(gen.log).toEqual(['generate gl', 'generate gl']);
  });
});
