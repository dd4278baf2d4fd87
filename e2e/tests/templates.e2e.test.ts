// target.template rendered as ESO's engine v2 does: Go templates with Sprig functions.

import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  fakeStore,
  getSecret,
  newNamespace,
  plainSecret,
  secretData,
  waitEs,
  waitFor,
} from '../lib/kube.js';
import { finishSuite } from '../lib/suite.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
const user = secretValue('reg-user');
const pass = secretValue('reg-pass');
const p12Pass = secretValue('p12-pass');

/** A CA, a leaf signed by it, and a password-protected PKCS#12 bundle, all made by openssl. */
function makeBundle(): { p12: Buffer; leaf: string; ca: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'syncret-e2e-p12-'));
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    run(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      '/CN=e2e-ca',
    );
    run(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'tls.key',
      '-out',
      'tls.csr',
      '-subj',
      '/CN=app.example.com',
    );
    run(
      'x509',
      '-req',
      '-in',
      'tls.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-out',
      'tls.crt',
      '-days',
      '2',
      '-set_serial',
      '7',
    );
    run(
      'pkcs12',
      '-export',
      '-inkey',
      'tls.key',
      '-in',
      'tls.crt',
      '-certfile',
      'ca.crt',
      '-out',
      'b.p12',
      '-passout',
      `pass:${p12Pass}`,
    );
    const read = (f: string) => readFileSync(join(dir, f));
    return {
      p12: read('b.p12'),
      leaf: read('tls.crt').toString(),
      ca: read('ca.crt').toString(),
      key: read('tls.key').toString(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const bundle = makeBundle();

beforeAll(async () => {
  op = await startOperator({ name: 'templates' });
  ns = newNamespace('e2e-tpl');
  apply(
    fakeStore(ns, 'fake', [
      { key: 'registry', value: JSON.stringify({ username: user, password: pass }) },
      { key: 'db', value: JSON.stringify({ host: 'db.internal', port: '5432', user, password: pass }) },
      { key: 'tls/bundle', value: bundle.p12.toString('base64') },
      { key: 'tls/password', value: p12Pass },
    ]),
  );
});

afterAll(() => finishSuite(op));

describe('templates', () => {
  it('builds a kubernetes.io/dockerconfigjson Secret from username and password', async () => {
    apply(
      externalSecret(ns, 'registry', {
        secretStoreRef: { name: 'fake' },
        target: {
          template: {
            type: 'kubernetes.io/dockerconfigjson',
            engineVersion: 'v2',
            data: {
              '.dockerconfigjson':
                '{"auths":{"registry.example.com":{"username":"{{ .username }}","password":"{{ .password }}","auth":"{{ printf "%s:%s" .username .password | b64enc }}"}}}',
            },
          },
        },
        dataFrom: [{ extract: { key: 'registry' } }],
      }),
    );
    await waitEs(ns, 'registry');
    const s = (await getSecret(ns, 'registry'))!;
    expect(s.type).toBe('kubernetes.io/dockerconfigjson');
    const cfg = JSON.parse(Buffer.from(s.data!['.dockerconfigjson']!, 'base64').toString());
    expect(cfg.auths['registry.example.com']).toEqual({
      username: user,
      password: pass,
      auth: Buffer.from(`${user}:${pass}`).toString('base64'),
    });
    expect(Object.keys(s.data!)).toEqual(['.dockerconfigjson']);
  });

  it('renders a config file from several keys, merges with the provider data and templates labels', async () => {
    apply(
      externalSecret(ns, 'config', {
        secretStoreRef: { name: 'fake' },
        target: {
          template: {
            mergePolicy: 'Merge',
            metadata: { labels: { 'db-host': '{{ .host }}' } },
            data: {
              'app.ini':
                '[database]\n{{- range $k, $v := . }}{{ if ne $k "password" }}\n{{ $k }} = {{ $v }}{{ end }}{{ end }}\nurl = postgres://{{ .user }}:{{ .password | urlquery }}@{{ .host }}:{{ .port }}/app\n',
            },
          },
        },
        dataFrom: [{ extract: { key: 'db' } }],
      }),
    );
    await waitEs(ns, 'config');
    const data = (await secretData(ns, 'config'))!;
    expect(data['app.ini']).toBe(
      `[database]\nhost = db.internal\nport = 5432\nuser = ${user}\nurl = postgres://${user}:${pass}@db.internal:5432/app\n`,
    );
    expect(data.password).toBe(pass);
    expect((await getSecret(ns, 'config'))!.metadata!.labels!['db-host']).toBe('db.internal');
  });

  it('reports a template error with its key, line and column, and keeps the last good Secret', async () => {
    const spec = (conn: string) => ({
      secretStoreRef: { name: 'fake' },
      target: { template: { data: { conn } } },
      dataFrom: [{ extract: { key: 'db' } }],
    });
    apply(externalSecret(ns, 'broken', spec('host={{ .host }}')));
    await waitEs(ns, 'broken');
    apply(externalSecret(ns, 'broken', spec('host={{ .host }}\nuser={{ .nosuchkey }}')));
    const es = await waitEs(ns, 'broken', { status: 'False', reason: 'TemplateError' });
    const message = es.status!.conditions![0]!.message!;
    expect(message).toMatch(
      /^TemplateError: template: conn:2:\d+: executing "conn" at <\.nosuchkey>: map has no entry for key "nosuchkey"/,
    );
    expect(message).not.toContain(pass);
    expect(await secretData(ns, 'broken')).toEqual({ conn: 'host=db.internal' });
  });

  it('builds a kubernetes.io/tls Secret from a PKCS#12 bundle', async () => {
    apply(
      externalSecret(ns, 'tls', {
        secretStoreRef: { name: 'fake' },
        target: {
          template: {
            type: 'kubernetes.io/tls',
            data: {
              'tls.crt': '{{ .bundle | pkcs12certPass .password }}',
              'tls.key': '{{ .bundle | pkcs12keyPass .password }}',
            },
          },
        },
        data: [
          { secretKey: 'bundle', remoteRef: { key: 'tls/bundle', decodingStrategy: 'Base64' } },
          { secretKey: 'password', remoteRef: { key: 'tls/password' } },
        ],
      }),
    );
    await waitEs(ns, 'tls');
    const s = (await getSecret(ns, 'tls'))!;
    expect(s.type).toBe('kubernetes.io/tls');
    expect(Object.keys(s.data!).sort()).toEqual(['tls.crt', 'tls.key']);
    const crt = Buffer.from(s.data!['tls.crt']!, 'base64').toString();
    const key = Buffer.from(s.data!['tls.key']!, 'base64').toString();
    // The chain leaf first, then its CA; the key as PKCS#8, the pair matching.
    const blocks = crt.split(/(?<=-----END CERTIFICATE-----\n)/);
    expect(blocks.map((b) => new X509Certificate(b).raw)).toEqual([
      new X509Certificate(bundle.leaf).raw,
      new X509Certificate(bundle.ca).raw,
    ]);
    expect(key.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(new X509Certificate(blocks[0]!).checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(createPrivateKey(key).export({ format: 'der', type: 'pkcs8' })).toEqual(
      createPrivateKey(bundle.key).export({ format: 'der', type: 'pkcs8' }),
    );
  });

  it('renders templateFrom a ConfigMap (Values, KeysAndValues) and a literal, and follows ConfigMap edits at the next refresh', async () => {
    const configMap = (host: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app-templates', namespace: ns },
      data: {
        'config.yaml': `db:\n  host: ${host}\n  user: "{{ .user }}"\n  password: "{{ .password }}"\n`,
        env: 'DB_USER: "{{ .user }}"\nDB_URL: "postgres://{{ .user }}@{{ .host }}:{{ .port }}"\n',
      },
    });
    apply(configMap('{{ .host }}'));
    apply(plainSecret(ns, 'label-templates', { labels: 'tier: "{{ .port }}"' }));
    apply(
      externalSecret(ns, 'from-cm', {
        refreshInterval: '2s',
        secretStoreRef: { name: 'fake' },
        target: {
          template: {
            templateFrom: [
              {
                configMap: {
                  name: 'app-templates',
                  items: [{ key: 'config.yaml' }, { key: 'env', templateAs: 'KeysAndValues' }],
                },
              },
              {
                secret: { name: 'label-templates', items: [{ key: 'labels', templateAs: 'KeysAndValues' }] },
                target: 'Labels',
              },
              { literal: 'note: "rendered for {{ .user | len }} chars"', target: 'Annotations' },
            ],
          },
        },
        dataFrom: [{ extract: { key: 'db' } }],
      }),
    );
    await waitEs(ns, 'from-cm');
    const data = (await secretData(ns, 'from-cm'))!;
    expect(data).toEqual({
      'config.yaml': `db:\n  host: db.internal\n  user: "${user}"\n  password: "${pass}"\n`,
      DB_USER: user,
      DB_URL: `postgres://${user}@db.internal:5432`,
    });
    const meta = (await getSecret(ns, 'from-cm'))!.metadata!;
    expect(meta.labels!.tier).toBe('5432');
    expect(meta.annotations!.note).toBe(`rendered for ${user.length} chars`);
    // No watch on templates (as ESO): the edit shows at the next refresh (2 s here).
    apply(configMap('replica.internal'));
    await waitFor(
      'the edited template to be rendered',
      async () =>
        (await secretData(ns, 'from-cm'))?.['config.yaml']?.includes('host: replica.internal') === true,
      { timeoutMs: 20_000 },
    );
  });

  it('reports a missing templateFrom ConfigMap by name', async () => {
    apply(
      externalSecret(ns, 'no-cm', {
        secretStoreRef: { name: 'fake' },
        target: { template: { templateFrom: [{ configMap: { name: 'nope', items: [{ key: 'k' }] } }] } },
        dataFrom: [{ extract: { key: 'db' } }],
      }),
    );
    const es = await waitEs(ns, 'no-cm', { status: 'False', reason: 'TemplateError' });
    expect(es.status!.conditions![0]!.message).toBe(
      `TemplateError: templateFrom[0].configMap: ConfigMap "nope" not found in namespace "${ns}"`,
    );
  });
});
