// The Vault token's life in the operator, against a real OpenBao: one login shared by every
// ExternalSecret of a store (counted in the operator's metrics and in Vault's own token
// list), renewal and re-login at the max TTL, revocation when the store goes and when the
// operator stops; then Vault sealed and Vault unreachable for a while.

import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { customObjectsApi } from '../lib/cluster.js';
import {
  apply,
  externalSecret,
  newNamespace,
  plainSecret,
  ready,
  remove,
  secretData,
  waitEs,
  waitFor,
  waitReady,
} from '../lib/kube.js';
import { freePort, startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';
import {
  bao,
  enableAuth,
  kv2Put,
  liveTokenCount,
  liveTokens,
  mountKv,
  policy,
  seal,
  suffix,
  unseal,
  vaultStore,
} from '../lib/vault.js';

let op: OperatorHandle | undefined;
let ns: string;
const sfx = suffix();
const kv = `kv-life-${sfx}`;
const approle = `approle-life-${sfx}`;
const reader = `syncret-life-${sfx}`;
const value = secretValue('shared');
const secretId = secretValue('life-secret-id');
let roleId = '';

const LOGINS = 'syncret_provider_logins_total';

async function start(name: string): Promise<OperatorHandle> {
  // Failed syncs retry every 2 s here, so recovery is seen within seconds.
  return startOperator({ name, args: ['--requeue-on-error-max', '2s', '--store-requeue-interval', '5s'] });
}

beforeAll(async () => {
  op = await start('vault-life');
  ns = newNamespace('e2e-vault-life');
  await mountKv(kv, 2);
  await kv2Put(kv, 'shared', { value });
  await policy(reader, `path "${kv}/data/*" { capabilities = ["read"] }`);
  await enableAuth(approle, 'approle');
  await bao('POST', `auth/${approle}/role/syncret`, { token_policies: [reader], token_ttl: '1h' });
  // Short-lived tokens: renewed at 2/3 of 4 s, a fresh login when the 12 s max TTL nears.
  await bao('POST', `auth/${approle}/role/short`, {
    token_policies: [reader],
    token_ttl: '4s',
    token_max_ttl: '12s',
  });
  await bao('POST', `auth/${approle}/role/stop`, { token_policies: [reader], token_ttl: '1h' });
  await bao('POST', `auth/${approle}/role/revoked`, { token_policies: [reader], token_ttl: '1h' });
  roleId = (await bao('GET', `auth/${approle}/role/syncret/role-id`)).body.data?.role_id as string;
  const stopRoleId = (await bao('GET', `auth/${approle}/role/stop/role-id`)).body.data?.role_id as string;
  await bao('POST', `auth/${approle}/role/stop/custom-secret-id`, { secret_id: secretId });
  await bao('POST', `auth/${approle}/role/revoked/custom-secret-id`, { secret_id: secretId });
  const revokedRoleId = (await bao('GET', `auth/${approle}/role/revoked/role-id`)).body.data
    ?.role_id as string;
  const shortRoleId = (await bao('GET', `auth/${approle}/role/short/role-id`)).body.data?.role_id as string;
  await bao('POST', `auth/${approle}/role/syncret/custom-secret-id`, { secret_id: secretId });
  await bao('POST', `auth/${approle}/role/short/custom-secret-id`, { secret_id: secretId });
  apply(plainSecret(ns, 'approle', { secretId, shortRoleId, stopRoleId, revokedRoleId }));
});

afterAll(async () => {
  // Leave Vault usable for the next file whatever happened here.
  await unseal().catch(() => undefined);
  await finishSuite(op);
});

const appRoleStore = (name: string, extra: Record<string, unknown> = {}, id = roleId) =>
  vaultStore(ns, name, {
    path: kv,
    auth: { appRole: { path: approle, roleId: id, secretRef: { name: 'approle', key: 'secretId' } } },
    ...extra,
  });

const readShared = (name: string, store: string, refreshInterval = '1h') =>
  externalSecret(ns, name, {
    refreshInterval,
    secretStoreRef: { name: store },
    data: [{ secretKey: 'value', remoteRef: { key: 'shared', property: 'value' } }],
  });

async function readyCount(prefix: string): Promise<number> {
  const list = (await customObjectsApi().listNamespacedCustomObject({
    group: 'external-secrets.io',
    version: 'v1',
    namespace: ns,
    plural: 'externalsecrets',
  })) as {
    items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
  };
  return list.items.filter(
    (i) =>
      i.metadata.name.startsWith(prefix) &&
      i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
}

describe('one login per store', () => {
  it('100 ExternalSecrets on one store cause one login, and one live token in Vault', async () => {
    const before = await op!.metric(LOGINS, { provider: 'vault' });
    // Other stores of this file may connect meanwhile too; a drop of theirs shows as error.
    const connectsBefore = await op!.metric('syncret_provider_calls_total', {
      provider: 'vault',
      operation: 'connect',
      result: 'success',
    });
    apply(appRoleStore('shared'));
    apply(
      ...Array.from({ length: 100 }, (_, i) => ({
        ...(readShared(`many-${i}`, 'shared') as { metadata: object }),
        metadata: { name: `many-${i}`, namespace: ns, labels: { 'e2e-group': 'many' } },
      })),
    );
    await waitFor('100 ExternalSecrets Ready', async () => (await readyCount('many-')) === 100, {
      timeoutMs: 90_000,
      intervalMs: 1_000,
    });
    expect((await secretData(ns, 'many-99'))?.value).toBe(value);
    expect((await op!.metric(LOGINS, { provider: 'vault' })) - before).toBe(1);
    expect(await liveTokenCount(approle, 'syncret')).toBe(1);
    const connects =
      (await op!.metric('syncret_provider_calls_total', {
        provider: 'vault',
        operation: 'connect',
        result: 'success',
      })) - connectsBefore;
    if (connects !== 1)
      console.log(
        (await op!.metrics())
          .split('\n')
          .filter((l) => l.includes('provider_calls_total'))
          .join('\n'),
      );
    expect(connects).toBe(1);
  });

  it('revokes the token when the store is deleted', async () => {
    remove('secretstore', ns, 'shared');
    await waitFor(
      'token revoked after the store was deleted',
      async () => (await liveTokenCount(approle, 'syncret')) === 0,
      {
        timeoutMs: 20_000,
      },
    );
    // One DeleteCollection: kubectl deletes one by one under its client-side rate limit (~20 s).
    await customObjectsApi().deleteCollectionNamespacedCustomObject({
      group: 'external-secrets.io',
      version: 'v1',
      namespace: ns,
      plural: 'externalsecrets',
      labelSelector: 'e2e-group=many',
    });
  });

  it('renews short-lived tokens and logs in again at the max TTL, without failing a sync', async () => {
    const shortRoleId = (await secretData(ns, 'approle'))!.shortRoleId!;
    apply(appRoleStore('short', {}, shortRoleId));
    apply(readShared('short', 'short', '1s'));
    await waitEs(ns, 'short');
    const before = await op!.metric(LOGINS, { provider: 'vault' });
    // This ExternalSecret's own failures: the operator-wide counter also counts the objects other
    // tests (and files of this shard) leave behind, whose stores went away under them.
    const failures = () => op!.metric('externalsecret_sync_calls_error', { name: 'short', namespace: ns });
    const errorsBefore = await failures();
    const [first] = await liveTokens(approle, 'short');
    expect(first).toBeDefined();
    // Two TTLs later the same token is alive: it was renewed (a 4 s token is gone otherwise).
    await new Promise((r) => setTimeout(r, 8_000));
    expect(await liveTokens(approle, 'short')).toContain(first);
    // Past the 12 s max TTL: a new login replaced it, and only the new token is alive.
    await waitFor(
      'a new token after the max TTL',
      async () => {
        const now = await liveTokens(approle, 'short');
        return now.length === 1 && now[0] !== first;
      },
      { timeoutMs: 15_000, intervalMs: 1_000 },
    );
    const logins = (await op!.metric(LOGINS, { provider: 'vault' })) - before;
    // One per max TTL; a login per 4 s TTL would be 4 or more. One spare for a slow machine.
    expect(logins).toBeGreaterThanOrEqual(1);
    expect(logins).toBeLessThanOrEqual(3);
    const failed = (await failures()) - errorsBefore;
    if (failed !== 0) console.log('short:', JSON.stringify((await waitEs(ns, 'short')).status));
    expect(failed).toBe(0);
    remove('externalsecret', ns, 'short');
    remove('secretstore', ns, 'short');
  });

  it('revokes its tokens when the operator stops', async () => {
    const stopRoleId = (await secretData(ns, 'approle'))!.stopRoleId!;
    apply(appRoleStore('stop', {}, stopRoleId));
    apply(readShared('stop', 'stop'));
    await waitEs(ns, 'stop');
    expect(await liveTokenCount(approle, 'stop')).toBe(1);
    await op!.stop();
    op = undefined;
    expect(await liveTokenCount(approle, 'stop')).toBe(0);
    op = await start('vault-life-2');
    await waitEs(ns, 'stop');
  });

  it('logs in again when Vault stops accepting the token (revoked behind its back), without a failed sync', async () => {
    const revokedRoleId = (await secretData(ns, 'approle'))!.revokedRoleId!;
    apply(appRoleStore('revoked', {}, revokedRoleId));
    apply(readShared('revoked', 'revoked', '1s'));
    await waitEs(ns, 'revoked');
    const [token] = await liveTokens(approle, 'revoked');
    expect(token).toBeDefined();
    const logins = await op!.metric(LOGINS, { provider: 'vault' });
    const failures = () => op!.metric('externalsecret_sync_calls_error', { name: 'revoked', namespace: ns });
    const errors = await failures();
    await bao('POST', 'auth/token/revoke-accessor', { accessor: token });
    const fresh = secretValue('after-revoke');
    await kv2Put(kv, 'shared', { value: fresh });
    await waitFor(
      'the new value through a new login',
      async () => (await secretData(ns, 'revoked'))?.value === fresh,
      {
        timeoutMs: 20_000,
      },
    );
    expect((await op!.metric(LOGINS, { provider: 'vault' })) - logins).toBe(1);
    // The 403 was recognised as a dead token (lookup-self), not reported as a policy denial.
    expect((await failures()) - errors).toBe(0);
    remove('externalsecret', ns, 'revoked');
  });
});

describe('outages', () => {
  it('Vault sealed: the Secret stays, Ready=False says sealed, recovery after unseal', async () => {
    apply(appRoleStore('sealed'));
    apply(readShared('sealed', 'sealed', '2s'));
    await waitEs(ns, 'sealed');
    const synced = (await secretData(ns, 'sealed'))?.value;
    await seal();
    try {
      const es = await waitEs(ns, 'sealed', { status: 'False', reason: 'ProviderError' }, 30_000);
      expect(ready(es)?.message).toMatch(/Vault at http:\/\/127\.0\.0\.1:\d+ is sealed/);
      // The store's own check (token lookup, every 5 s here) says so too.
      await waitReady(
        'secretstores',
        ns,
        'sealed',
        { status: 'False', message: /Vault at http:\/\/127\.0\.0\.1:\d+ is sealed/ },
        30_000,
      );
      expect((await secretData(ns, 'sealed'))?.value).toBe(synced);
    } finally {
      await unseal();
    }
    const fresh = secretValue('after-unseal');
    await kv2Put(kv, 'shared', { value: fresh });
    await waitEs(ns, 'sealed', {}, 30_000);
    await waitReady('secretstores', ns, 'sealed', { status: 'True', reason: 'Valid' }, 30_000);
    await waitFor('new value after unseal', async () => (await secretData(ns, 'sealed'))?.value === fresh, {
      timeoutMs: 20_000,
    });
  });

  it('Vault unreachable: the Secret stays, Ready=False says so, recovery when it answers again', async () => {
    const target = new URL(serverVar('VAULT_ADDR'));
    const port = await freePort();
    const proxy = new TcpProxy(port, target.hostname, Number(target.port));
    await proxy.open();
    apply(appRoleStore('down', { server: `http://127.0.0.1:${port}` }));
    apply(readShared('down', 'down', '2s'));
    try {
      await waitEs(ns, 'down');
      const synced = (await secretData(ns, 'down'))?.value;
      await proxy.close();
      const es = await waitEs(ns, 'down', { status: 'False', reason: 'ProviderError' }, 30_000);
      expect(ready(es)?.message).toMatch(/Vault at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
      expect((await secretData(ns, 'down'))?.value).toBe(synced);
      await proxy.open();
      await waitEs(ns, 'down', {}, 30_000);
    } finally {
      await proxy.close();
    }
  });
});

/** A TCP forwarder that can be taken down and brought back on the same port. */
class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly targetPort: number,
  ) {}

  open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
