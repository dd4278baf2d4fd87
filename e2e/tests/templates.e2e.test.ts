// target.template rendered as ESO's engine v2 does: Go templates with Sprig functions.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  apply,
  externalSecret,
  fakeStore,
  getSecret,
  newNamespace,
  secretData,
  waitEs,
} from '../lib/kube.js';
import { finishSuite } from '../lib/suite.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { secretValue } from '../lib/values.js';

let op: OperatorHandle;
let ns: string;
const user = secretValue('reg-user');
const pass = secretValue('reg-pass');

beforeAll(async () => {
  op = await startOperator({ name: 'templates' });
  ns = newNamespace('e2e-tpl');
  apply(
    fakeStore(ns, 'fake', [
      { key: 'registry', value: JSON.stringify({ username: user, password: pass }) },
      { key: 'db', value: JSON.stringify({ host: 'db.internal', port: '5432', user, password: pass }) },
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
      /^template: conn:2:\d+: executing "conn" at <\.nosuchkey>: map has no entry for key "nosuchkey"/,
    );
    expect(message).not.toContain(pass);
    expect(await secretData(ns, 'broken')).toEqual({ conn: 'host=db.internal' });
  });
});
