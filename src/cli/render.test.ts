import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { fakeProvider } from '../providers/fake/index.js';
import { ProviderRegistry } from '../providers/registry.js';
import { RenderError, parseRenderArgs, render, secretYaml } from './render.js';

const registry = new ProviderRegistry([fakeProvider]);
const dir = mkdtempSync(join(tmpdir(), 'syncret-render-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString();
const SECRET = 's3cr3t-render-value';

const store = file(
  'store.yaml',
  `apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake}
spec:
  provider:
    fake:
      data:
        - {key: db, value: '{"user":"app","pass":"${SECRET}"}'}
        - {key: app-a, value: a}
        - {key: app-b, value: b}
`,
);

describe('parseRenderArgs', () => {
  it('reads -f, --store, --data, -n and --decoded, and refuses what it does not know', () => {
    expect(
      parseRenderArgs(['-f', 'a.yaml', '--store=s.yaml', '--data', 'v.json', '-n', 'x', '--decoded']),
    ).toEqual({
      files: ['a.yaml'],
      stores: ['s.yaml'],
      data: 'v.json',
      namespace: 'x',
      decoded: true,
    });
    expect(parseRenderArgs(['--help'])).toBe('help');
    expect(() => parseRenderArgs(['--store', 's.yaml'])).toThrow('-f EXTERNALSECRET.yaml is required');
    expect(() => parseRenderArgs(['-f', 'a.yaml'])).toThrow(
      '--store STORE.yaml (or --data VALUES.json) is required',
    );
    expect(() => parseRenderArgs(['-f', 'a.yaml', '--bogus'])).toThrow('unknown argument "--bogus"');
    expect(() => parseRenderArgs(['-f'])).toThrow('-f needs a value');
  });
});

describe('render', () => {
  it('renders from the fake store like the operator: data, find, template, markers', async () => {
    const es = file(
      'es.yaml',
      `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, labels: {team: a}}
spec:
  secretStoreRef: {name: fake}
  target:
    template:
      data:
        dsn: '{{ .user }}:{{ .pass }}@db'
        apps: '{{ index . "app-a" }}{{ index . "app-b" }}'
  dataFrom:
    - find: {name: {regexp: '^app-'}}
  data:
    - {secretKey: user, remoteRef: {key: db, property: user}}
    - {secretKey: pass, remoteRef: {key: db, property: pass}}
`,
    );
    const secret = await render({ files: [es], stores: [store] }, registry);
    expect(secret.metadata).toMatchObject({
      name: 'app',
      namespace: 'default',
      labels: { 'reconcile.external-secrets.io/managed': 'true' },
    });
    expect(secret.metadata.ownerReferences?.[0]).toEqual({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      name: 'app',
      controller: true,
      blockOwnerDeletion: true,
    });
    expect(Object.keys(secret.data!)).toEqual(['apps', 'dsn']);
    expect(b64(secret.data!.dsn)).toBe(`app:${SECRET}@db`);
    expect(b64(secret.data!.apps)).toBe('ab');
    const yaml = secretYaml(secret, true);
    expect(yaml).toContain(`dsn: app:${SECRET}@db`);
    expect(yaml).not.toContain('\ndata:');
  });

  it('reads values from --data (JSON kept as text), templateFrom from the files, and any store name', async () => {
    const values = file('v.json', JSON.stringify({ db: { user: 'u', port: 5432 }, 'app-a': 'x' }));
    const es = file(
      'es2.yaml',
      `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app, namespace: ns1}
spec:
  secretStoreRef: {name: not-in-any-file, kind: ClusterSecretStore}
  target:
    name: out
    creationPolicy: Orphan
    template:
      templateFrom:
        - configMap: {name: tpl, items: [{key: t, templateAs: KeysAndValues}]}
  dataFrom:
    - extract: {key: db}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: tpl, namespace: ns1}
data:
  t: 'conn: "{{ .user }}:{{ .port }}"'
`,
    );
    const secret = await render({ files: [es], stores: [], data: values }, registry);
    expect(secret.metadata.name).toBe('out');
    expect(secret.metadata.ownerReferences).toBeUndefined();
    expect(Object.fromEntries(Object.entries(secret.data!).map(([k, v]) => [k, b64(v)]))).toEqual({
      conn: 'u:5432',
    });
  });

  it('fails with messages that name keys and files, never values', async () => {
    const missing = file(
      'es3.yaml',
      `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app}
spec:
  secretStoreRef: {name: fake}
  data: [{secretKey: x, remoteRef: {key: db, property: nope}}]
`,
    );
    await expect(render({ files: [missing], stores: [store] }, registry)).rejects.toThrow(
      'property "nope" not found in remote key "db" (secretKey "x") in data[0]',
    );
    const badTemplate = file(
      'es4.yaml',
      `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: app}
spec:
  secretStoreRef: {name: fake}
  target: {template: {data: {k: "{{ .pass }}{{ .nope }}"}}}
  dataFrom: [{extract: {key: db}}]
`,
    );
    const err = await render({ files: [badTemplate], stores: [store] }, registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toMatch(/^template: k:1:\d+: executing "k"/);
    expect((err as Error).message).not.toContain(SECRET);
    await expect(render({ files: [store], stores: [store] }, registry)).rejects.toThrow(
      'exactly one ExternalSecret (found 0)',
    );
    await expect(render({ files: [missing], stores: [join(dir, 'nope.yaml')] }, registry)).rejects.toThrow(
      /cannot read .*nope.yaml: ENOENT/,
    );
    const notJson = file('bad.json', `{"db": "${SECRET}"`);
    const err2 = await render({ files: [missing], stores: [], data: notJson }, registry).catch(
      (e: unknown) => e,
    );
    expect((err2 as Error).message).toMatch(/bad.json is not valid JSON$/);
  });
});
