// The VaultDynamicSecret generator against a real OpenBao and PostgreSQL 15: dynamic database
// credentials that really log in, whose lease lives in the ExternalSecret's status, is renewed
// at 2/3 of its TTL, rotated before the max TTL (new user in the Secret first, then the old
// lease revoked), survives an operator restart without new credentials, and is revoked when
// the ExternalSecret is deleted. Then PKI certificates as kubernetes.io/tls Secrets.

import { X509Certificate, createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { GeneratorLease as Lease } from '../../src/api/types.js';
import {
  apply,
  events,
  getEs,
  kubectl,
  getSecret,
  newNamespace,
  remove,
  secretData,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { assertNoSecretLeaks } from '../lib/leaks.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { canLogin } from '../lib/postgres.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { bao, configureKubernetesAuth, policy, suffix } from '../lib/vault.js';

let op: OperatorHandle;
let ns: string;
const sfx = suffix();
const dbMount = `db-dyn-${sfx}`;
const pkiMount = `pki-dyn-${sfx}`;
const k8sMount = `k8s-dyn-${sfx}`;
const db = `pg-dyn-${sfx}`;
const OPERATOR_ARGS = ['--requeue-on-error-max', '2s', '--lease-revoke-timeout', '6s'];
/** Credentials Vault issued during the test, for the leak scan. */
const issued: string[] = [];

async function creds(name: string): Promise<{ username: string; password: string }> {
  const d = (await secretData(ns, name)) ?? {};
  const username = d.username ?? '';
  const password = d.password ?? '';
  if (username && !issued.includes(username)) issued.push(username, password);
  return { username, password };
}

async function leasesOf(name: string): Promise<Lease[]> {
  const es = await getEs(ns, name);
  return ((es?.status as { generatorLeases?: Lease[] } | undefined)?.generatorLeases ?? []) as Lease[];
}

/** Vault's view of a lease: undefined once it is revoked or expired. */
async function lookup(leaseID: string): Promise<{ expire_time?: string } | undefined> {
  const r = await bao('PUT', 'sys/leases/lookup', { lease_id: leaseID }, { allow: [400, 404] });
  return r.status === 200 ? (r.body.data as { expire_time?: string }) : undefined;
}

/** The live leases Vault holds under a role's creds path. */
async function liveLeases(role: string): Promise<string[]> {
  const r = await bao('LIST', `sys/leases/lookup/${dbMount}/creds/${role}/`, undefined, { allow: [404] });
  return ((r.body.data as { keys?: string[] } | undefined)?.keys ?? []) as string[];
}

function generator(
  name: string,
  path: string,
  extra: Record<string, unknown> = {},
  authRole = 'dyn',
): object {
  return {
    apiVersion: 'generators.external-secrets.io/v1alpha1',
    kind: 'VaultDynamicSecret',
    metadata: { name, namespace: ns },
    spec: {
      path,
      provider: {
        server: serverVar('VAULT_ADDR'),
        auth: { kubernetes: { mountPath: k8sMount, role: authRole, serviceAccountRef: { name: 'dyn-sa' } } },
      },
      ...extra,
    },
  };
}

function dynamicEs(name: string, gen: string, extra: Record<string, unknown> = {}): object {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns },
    spec: {
      refreshInterval: '1h',
      target: { name },
      dataFrom: [
        {
          sourceRef: {
            generatorRef: {
              apiVersion: 'generators.external-secrets.io/v1alpha1',
              kind: 'VaultDynamicSecret',
              name: gen,
            },
          },
        },
      ],
      ...extra,
    },
  };
}

beforeAll(async () => {
  op = await startOperator({ name: 'vault-dynamic', args: OPERATOR_ARGS });
  ns = newNamespace('e2e-vault-dyn');
  await bao('POST', `sys/mounts/${dbMount}`, { type: 'database' });
  await configureKubernetesAuth(k8sMount, ns);
  await bao('POST', `${dbMount}/config/${db}`, {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${serverVar('PG_HOST')}:${serverVar('PG_PORT')}/postgres?sslmode=disable`,
    username: serverVar('PG_ADMIN_USER'),
    password: serverVar('PG_ADMIN_PASSWORD'),
    allowed_roles: ['fast', 'slow', 'stuck'],
  });
  const role = (ttl: string, maxTtl: string) => ({
    db_name: db,
    creation_statements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      `GRANT CONNECT ON DATABASE postgres TO "{{name}}";`,
    ],
    default_ttl: ttl,
    max_ttl: maxTtl,
  });
  // fast: renewed twice, then rotated at its max TTL within seconds; slow: outlives a restart.
  await bao('POST', `${dbMount}/roles/fast`, role('6s', '15s'));
  await bao('POST', `${dbMount}/roles/slow`, role('24s', '5m'));
  await bao('POST', `${dbMount}/roles/stuck`, role('1m', '5m'));
  await policy(
    `dyn-${sfx}`,
    [
      `path "${dbMount}/creds/*" { capabilities = ["read"] }`,
      `path "${pkiMount}/issue/web" { capabilities = ["update"] }`,
      // The default policy already grants sys/leases/renew; revocation needs this.
      `path "sys/leases/revoke" { capabilities = ["update"] }`,
    ].join('\n'),
  );
  // A login that may issue but not revoke: deletion must give up after --lease-revoke-timeout.
  await policy(`dyn-norevoke-${sfx}`, `path "${dbMount}/creds/stuck" { capabilities = ["read"] }`);
  await bao('POST', `auth/${k8sMount}/role/stuck`, {
    bound_service_account_names: ['dyn-sa'],
    bound_service_account_namespaces: [ns],
    token_policies: [`dyn-norevoke-${sfx}`],
    token_ttl: '1h',
  });
  await bao('POST', `auth/${k8sMount}/role/dyn`, {
    bound_service_account_names: ['dyn-sa'],
    bound_service_account_namespaces: [ns],
    token_policies: [`dyn-${sfx}`],
    token_ttl: '1h',
  });
  // PKI: a root CA and a role issuing short-lived server certificates.
  await bao('POST', `sys/mounts/${pkiMount}`, { type: 'pki', config: { max_lease_ttl: '1h' } });
  await bao('POST', `${pkiMount}/root/generate/internal`, { common_name: 'Syncret e2e CA', ttl: '1h' });
  await bao('POST', `${pkiMount}/roles/web`, {
    allowed_domains: ['example.com'],
    allow_subdomains: true,
    max_ttl: '10m',
  });
  apply(
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'dyn-sa', namespace: ns } },
    generator('db-fast', `${dbMount}/creds/fast`),
    generator('db-slow', `${dbMount}/creds/slow`),
    dynamicEs('fast', 'db-fast'),
    dynamicEs('slow', 'db-slow'),
  );
});

afterAll(async () => {
  // Deleted while the operator runs, so their leases are revoked rather than left to expire.
  for (const name of ['fast', 'tls']) remove('externalsecret', ns, name);
  await waitFor(
    'the remaining ExternalSecrets to go',
    async () => ((await getEs(ns, 'fast')) || (await getEs(ns, 'tls')) ? undefined : true),
    { timeoutMs: 30_000 },
  ).catch(() => undefined);
  // Whatever a failed test left behind must not keep its namespace Terminating.
  for (const name of ['fast', 'slow', 'tls']) {
    try {
      kubectl([
        'patch',
        'externalsecret',
        name,
        '-n',
        ns,
        '--type',
        'merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]);
    } catch {
      // gone already
    }
  }
  await finishSuite(op);
  await assertNoSecretLeaks(issued);
});

describe('VaultDynamicSecret: database credentials', () => {
  it('syncs credentials that log in, with the lease in status and no values there', async () => {
    await waitEs(ns, 'fast', {}, 60_000);
    await waitEs(ns, 'slow', {}, 60_000);
    for (const name of ['fast', 'slow']) {
      const { username, password } = await creds(name);
      expect(canLogin(username, password)).toBe(true);
      const es = await getEs(ns, name);
      expect(es?.metadata?.finalizers).toContain('syncret.io/revoke-generator-leases');
      const [lease, ...more] = await leasesOf(name);
      expect(more).toEqual([]);
      expect(lease).toMatchObject({
        source: 'dataFrom[0]',
        kind: 'VaultDynamicSecret',
        name: `db-${name}`,
        renewable: true,
        leaseDuration: name === 'fast' ? 6 : 24,
      });
      expect(lease?.leaseID.startsWith(`${dbMount}/creds/${name}/`)).toBe(true);
      const status = JSON.stringify(es?.status);
      expect(status).not.toContain(password);
      expect(status).not.toContain(username);
      expect(await lookup(lease?.leaseID ?? '')).toBeDefined();
    }
  });

  it('resumes after an operator restart without issuing new credentials', async () => {
    const before = await creds('slow');
    const [lease] = await leasesOf('slow');
    const vaultExpiry = (await lookup(lease?.leaseID ?? ''))?.expire_time ?? '';
    await op.stop();
    op = await startOperator({ name: 'vault-dynamic-2', args: OPERATOR_ARGS });
    // The new operator renews the lease it finds in status (at 2/3 of 24 s after issue).
    await waitFor(
      'the restarted operator to renew the slow lease',
      async () => ((await lookup(lease?.leaseID ?? ''))?.expire_time ?? '') > vaultExpiry,
      { timeoutMs: 45_000, intervalMs: 1000 },
    );
    expect(await liveLeases('slow')).toHaveLength(1);
    expect((await leasesOf('slow'))[0]?.leaseID).toBe(lease?.leaseID);
    expect((await leasesOf('slow'))[0]?.renewTime).toBeDefined();
    expect(await creds('slow')).toEqual(before);
    expect(canLogin(before.username, before.password)).toBe(true);
    expect(
      await op.metric('syncret_provider_calls_total', { operation: 'renew', result: 'success' }),
    ).toBeGreaterThan(0);
  });

  it('renews, then rotates before the max TTL: new user first, old lease revoked', async () => {
    const old = await creds('fast');
    const [oldLease] = await leasesOf('fast');
    const maxExpiry = Date.parse(oldLease?.issueTime ?? '') + 15_000;
    const rotated = await waitFor(
      'a new username in Secret fast',
      async () => {
        const c = await creds('fast');
        return c.username && c.username !== old.username ? { ...c, at: Date.now() } : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 250 },
    );
    // The new credentials arrived while the old ones still worked.
    expect(rotated.at).toBeLessThan(maxExpiry);
    expect(canLogin(rotated.username, rotated.password)).toBe(true);
    await waitFor(
      'the old lease to be revoked',
      async () => (await lookup(oldLease?.leaseID ?? '')) === undefined,
      {
        timeoutMs: 10_000,
      },
    );
    expect(canLogin(old.username, old.password)).toBe(false);
    const [lease] = await leasesOf('fast');
    expect(lease?.leaseID).not.toBe(oldLease?.leaseID);
    expect(
      await op.metric('syncret_provider_calls_total', { operation: 'revoke', result: 'success' }),
    ).toBeGreaterThan(0);
    const evs = await events(ns);
    expect(evs.some((e) => e.reason === 'Rotated' && e.involvedObject.name === 'fast')).toBe(true);
  });

  it('issues new credentials at once when the generator is edited (watch)', async () => {
    const before = await creds('slow');
    const [oldLease] = await leasesOf('slow');
    // Any spec change counts; these parameters are only sent as the GET's query.
    apply(generator('db-slow', `${dbMount}/creds/slow`, { parameters: { edited: 'yes' } }));
    const after = await waitFor(
      'new credentials in Secret slow',
      async () => {
        const c = await creds('slow');
        return c.username && c.username !== before.username ? c : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(canLogin(after.username, after.password)).toBe(true);
    await waitFor(
      'the replaced lease to be revoked',
      async () => (await lookup(oldLease?.leaseID ?? '')) === undefined,
      {
        timeoutMs: 10_000,
      },
    );
    expect(await liveLeases('slow')).toHaveLength(1);
  });

  it('revokes the lease when the ExternalSecret is deleted', async () => {
    const c = await creds('slow');
    const [lease] = await leasesOf('slow');
    remove('externalsecret', ns, 'slow');
    await waitFor('ExternalSecret slow to go', async () => ((await getEs(ns, 'slow')) ? undefined : true), {
      timeoutMs: 30_000,
    });
    expect(await lookup(lease?.leaseID ?? '')).toBeUndefined();
    expect(await liveLeases('slow')).toEqual([]);
    expect(canLogin(c.username, c.password)).toBe(false);
    // The target Secret is owned by the ExternalSecret: the garbage collector removes it.
    await waitFor('Secret slow to go', async () => ((await getSecret(ns, 'slow')) ? undefined : true), {
      timeoutMs: 30_000,
    });
  });
});

describe('VaultDynamicSecret: deletion when revocation fails', () => {
  it('gives up after --lease-revoke-timeout with a Warning event and lets the object go', async () => {
    apply(generator('db-stuck', `${dbMount}/creds/stuck`, {}, 'stuck'), dynamicEs('stuck', 'db-stuck'));
    await waitEs(ns, 'stuck', {}, 60_000);
    const c = await creds('stuck');
    const [lease] = await leasesOf('stuck');
    const started = Date.now();
    remove('externalsecret', ns, 'stuck');
    await waitFor('ExternalSecret stuck to go', async () => ((await getEs(ns, 'stuck')) ? undefined : true), {
      timeoutMs: 40_000,
    });
    // Held for the timeout (6 s) while revocation was retried, then released.
    expect(Date.now() - started).toBeGreaterThan(5_000);
    const warning = (await events(ns)).find(
      (e) => e.reason === 'LeaseRevokeFailed' && e.involvedObject.name === 'stuck',
    );
    expect(warning?.type).toBe('Warning');
    expect(warning?.message).toMatch(/permission denied.*sys\/leases\/revoke/);
    // The lease was left to its TTL; the test cleans it up.
    expect(await lookup(lease?.leaseID ?? '')).toBeDefined();
    expect(canLogin(c.username, c.password)).toBe(true);
    await bao('PUT', 'sys/leases/revoke', { lease_id: lease?.leaseID });
  });
});

describe('VaultDynamicSecret: PKI certificates', () => {
  /** The certificate and key of Secret tls, parsed; the key is registered for the leak scan. */
  async function tlsPair(): Promise<{ cert: X509Certificate; key: string; type?: string }> {
    const s = await getSecret(ns, 'tls');
    const d = (await secretData(ns, 'tls')) ?? {};
    const key = d['tls.key'] ?? '';
    if (key && !issued.includes(key)) issued.push(key);
    return { cert: new X509Certificate(d['tls.crt'] ?? ''), key, type: s?.type };
  }

  it('issues a kubernetes.io/tls Secret through pki/issue and re-issues it before it expires', async () => {
    apply(
      generator('web-cert', `${pkiMount}/issue/web`, {
        method: 'POST',
        parameters: { common_name: 'app.example.com', ttl: '12s' },
      }),
      dynamicEs('tls', 'web-cert', {
        target: {
          name: 'tls',
          template: {
            type: 'kubernetes.io/tls',
            data: {
              // The chain: leaf first, then the issuing CA.
              'tls.crt': '{{ .certificate }}\n{{ .issuing_ca }}',
              'tls.key': '{{ .private_key }}',
            },
          },
        },
      }),
    );
    await waitEs(ns, 'tls', {}, 60_000);
    const first = await tlsPair();
    expect(first.type).toBe('kubernetes.io/tls');
    expect(first.cert.subject).toContain('CN=app.example.com');
    expect(first.cert.checkPrivateKey(createPrivateKey(first.key))).toBe(true);
    const [lease] = await leasesOf('tls');
    // A certificate has no Vault lease: its expiry drives re-issue, nothing is renewed or revoked.
    expect(lease).toMatchObject({ leaseID: '', renewable: false, source: 'dataFrom[0]', name: 'web-cert' });
    expect(Date.parse(lease?.expireTime ?? '')).toBe(Date.parse(first.cert.validTo));
    // The finalizer comes before the generator runs (whether a result has a lease is known only
    // afterwards); with nothing to revoke it holds a deletion up for no time (see below).
    expect((await getEs(ns, 'tls'))?.metadata?.finalizers ?? []).toContain(
      'syncret.io/revoke-generator-leases',
    );

    const second = await waitFor(
      'a re-issued certificate in Secret tls',
      async () => {
        const p = await tlsPair();
        return p.cert.serialNumber !== first.cert.serialNumber ? { ...p, at: Date.now() } : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // Re-issued at about 2/3 of its lifetime, while the first certificate was still valid.
    expect(second.at).toBeLessThan(Date.parse(first.cert.validTo));
    expect(second.cert.checkPrivateKey(createPrivateKey(second.key))).toBe(true);
    expect(Date.parse(second.cert.validTo)).toBeGreaterThan(Date.parse(first.cert.validTo));

    remove('externalsecret', ns, 'tls');
    await waitFor('ExternalSecret tls to go', async () => ((await getEs(ns, 'tls')) ? undefined : true), {
      timeoutMs: 10_000,
    });
  });
});
