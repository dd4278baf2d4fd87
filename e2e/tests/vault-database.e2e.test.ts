// The seed document's pair, for real: a SecretStore with kubernetes auth (a TokenRequest
// token that OpenBao checks with a TokenReview against the test kube-apiserver) reading
// `database/creds/<role>` as KV v1 from OpenBao's database secrets engine, backed by a real
// PostgreSQL 15. The synced username and password must log in to PostgreSQL.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apply, getSecret, newNamespace, secretData, waitEs } from '../lib/kube.js';
import { assertNoSecretLeaks } from '../lib/leaks.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { psql } from '../lib/postgres.js';
import { serverVar } from '../lib/servers.js';
import { finishSuite } from '../lib/suite.js';
import { bao, configureKubernetesAuth, policy, suffix } from '../lib/vault.js';

let op: OperatorHandle;
let ns: string;
const sfx = suffix();
const role = `app-${sfx}`;
const db = `pg-${sfx}`;
/** Credentials Vault issued during the test, for the leak scan (they never pass through secretValue). */
const issued: string[] = [];

beforeAll(async () => {
  op = await startOperator({ name: 'vault-database' });
  ns = newNamespace('e2e-vault-db');

  // The seed's paths: the database engine at `database`, kubernetes auth at `kubernetes`.
  // Both are shared by runs against a kept server, so they are created once and reconfigured.
  const mounts = (await bao('GET', 'sys/mounts')).body.data ?? {};
  if (!('database/' in mounts)) await bao('POST', 'sys/mounts/database', { type: 'database' });
  const auths = (await bao('GET', 'sys/auth')).body.data ?? {};
  if ('kubernetes/' in auths) await bao('DELETE', 'sys/auth/kubernetes');
  await configureKubernetesAuth('kubernetes', ns);

  await bao('POST', `database/config/${db}`, {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${serverVar('PG_HOST')}:${serverVar('PG_PORT')}/postgres?sslmode=disable`,
    username: serverVar('PG_ADMIN_USER'),
    password: serverVar('PG_ADMIN_PASSWORD'),
    allowed_roles: [role],
  });
  await bao('POST', `database/roles/${role}`, {
    db_name: db,
    creation_statements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      `GRANT CONNECT ON DATABASE postgres TO "{{name}}";`,
    ],
    default_ttl: '1h',
    max_ttl: '2h',
  });
  await policy(`db-${sfx}`, `path "database/creds/${role}" { capabilities = ["read"] }`);
  await bao('POST', 'auth/kubernetes/role/demo', {
    bound_service_account_names: ['my-sa'],
    bound_service_account_namespaces: [ns],
    token_policies: [`db-${sfx}`],
    token_ttl: '1h',
  });
});

afterAll(async () => {
  await finishSuite(op);
  await assertNoSecretLeaks(issued);
});

describe('seed: kubernetes auth + database/creds (v1) + PostgreSQL', () => {
  it('syncs dynamic PostgreSQL credentials that really log in', async () => {
    // The seed document's pair, as a user writes it (YAML, client-side apply).
    apply(
      ['apiVersion: v1', 'kind: ServiceAccount', 'metadata:', '  name: my-sa', `  namespace: ${ns}`].join(
        '\n',
      ),
      [
        'apiVersion: external-secrets.io/v1',
        'kind: SecretStore',
        'metadata:',
        '  name: vault-backend',
        `  namespace: ${ns}`,
        'spec:',
        '  provider:',
        '    vault:',
        `      server: "${serverVar('VAULT_ADDR')}"`,
        '      path: "database"',
        '      version: "v1"',
        '      auth:',
        '        kubernetes:',
        '          mountPath: "kubernetes"',
        '          role: "demo"',
        '          serviceAccountRef:',
        '            name: "my-sa"',
      ].join('\n'),
      [
        'apiVersion: external-secrets.io/v1',
        'kind: ExternalSecret',
        'metadata:',
        '  name: db-creds',
        `  namespace: ${ns}`,
        'spec:',
        '  refreshInterval: "1h"',
        '  secretStoreRef:',
        '    name: vault-backend',
        '    kind: SecretStore',
        '  target:',
        '    name: db-creds',
        '  data:',
        '  - secretKey: username',
        '    remoteRef:',
        `      key: creds/${role}`,
        '      property: username',
        '  - secretKey: password',
        '    remoteRef:',
        `      key: creds/${role}`,
        '      property: password',
      ].join('\n'),
    );
    await waitEs(ns, 'db-creds', {}, 60_000);
    const creds = await secretData(ns, 'db-creds');
    expect(Object.keys(creds ?? {}).sort()).toEqual(['password', 'username']);
    const { username, password } = creds as { username: string; password: string };
    issued.push(username, password);
    // Both keys come from one read of database/creds (one lease): the pair logs in.
    expect(psql(username, password, 'select current_user')).toBe(username);
    expect(() => psql(username, `${password}-wrong`, 'select 1')).toThrow(/password authentication failed/);
    expect((await getSecret(ns, 'db-creds'))?.metadata?.ownerReferences?.[0]?.name).toBe('db-creds');
  });
});
