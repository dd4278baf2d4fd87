// ESO's whole template function map on the real control plane: one ExternalSecret (fake
// store) whose template uses a representative set of the functions added for it (dates from a
// fixed input, crypto round trips, YAML, semver, dig, must*, a generated CA and certificate,
// a trust store),
// its Secret's data checked here with node:crypto.

import { X509Certificate, createDecipheriv, createPrivateKey } from 'node:crypto';
import { createRequire } from 'node:module';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { apply, externalSecret, fakeStore, newNamespace, secretData, waitEs } from '../lib/kube.js';
import { startOperator } from '../lib/operator.js';
import type { OperatorHandle } from '../lib/operator.js';
import { finishSuite } from '../lib/suite.js';
import { secretValue } from '../lib/values.js';

const bcryptjs = createRequire(import.meta.url)('bcryptjs') as { compareSync(p: string, h: string): boolean };

let op: OperatorHandle;
let ns: string;
const password = secretValue('pw');
const aesKey = secretValue('aes');

beforeAll(async () => {
  op = await startOperator({ name: 'template-functions' });
  ns = newNamespace('e2e-tplfn');
  apply(
    fakeStore(ns, 'fake', [
      {
        key: 'app',
        value: JSON.stringify({
          password,
          aesKey,
          version: '1.4.2',
          issued: '2024-02-29T13:45:00Z',
          config: 'db:\n  host: db.internal\n  port: 5432\n',
          nested: JSON.stringify({ db: { host: 'nested.internal' } }),
        }),
      },
    ]),
  );
}, 30_000);

afterAll(() => finishSuite(op));

const issued = '(.issued | toDate "2006-01-02T15:04:05Z07:00")';

describe('template functions', () => {
  it('renders dates, crypto, YAML, semver, dig, must* and certificates into the Secret', async () => {
    apply(
      externalSecret(ns, 'fns', {
        refreshInterval: '1h',
        secretStoreRef: { name: 'fake' },
        dataFrom: [{ extract: { key: 'app' } }],
        target: {
          template: {
            data: {
              issued: `{{ dateInZone "Mon, 02 Jan 2006 15:04 MST" ${issued} "Europe/Berlin" }}`,
              expires: `{{ (${issued}.AddDate 0 1 0).UTC.Format "2006-01-02" }} {{ ${issued} | unixEpoch }}`,
              durations: '{{ duration "3661" }} {{ durationRound "49h" }} {{ now.UTC.Year }}',
              aes: '{{ encryptAES .aesKey .password }}',
              aesRoundTrip: '{{ encryptAES .aesKey .password | decryptAES .aesKey | sha256sum }}',
              htpasswd: '{{ htpasswd "admin" .password "bcrypt" }}',
              yaml: '{{ (fromYaml .config).db.host }}:{{ (fromYaml .config).db.port }}|{{ dict "tags" (list "a" "b") "v" .version | toYaml }}',
              semver:
                '{{ semverCompare "^1.4.0" .version }} {{ semverCompare ">=2.0" .version }} {{ (semver .version).IncMinor }}',
              dig: '{{ dig "db" "host" "none" (fromJson .nested) }} {{ dig "db" "user" "none" (fromJson .nested) }}',
              must: '{{ mustFirst (list "x" "y") }} {{ mustRegexFind "[0-9]+" .version }} {{ htmlDateInZone (mustToDate "2006-01-02" "2024-01-01") "UTC" }} {{ mergeOverwrite (dict "a" 1) (dict "a" 2) | toJson }}',
              words:
                '{{ snakecase "HTTPServerName" }} {{ camelcase "my_app" }} {{ addf 1.1 2.2 }} {{ urlParse "https://h:8443/p?q=1" | urlJoin }}',
              random: '{{ randAlphaNum 32 }}',
            },
            // KeysAndValues: one template, several keys, so the CA and its certificate agree.
            templateFrom: [
              {
                literal:
                  '{{ $ca := genCA "e2e-ca" 30 }}{{ $c := genSignedCert "app.example" (list "10.0.0.1") (list "app.example") 30 $ca }}' +
                  '{{ dict "ca.crt" $ca.Cert "tls.crt" $c.Cert "tls.key" $c.Key "sans" (certSANs $c.Cert | join ",") "truststore.p12" (pemTruststoreToPKCS12Pass $ca.Cert "changeit") | toYaml }}',
              },
            ],
          },
        },
      }),
    );
    await waitEs(ns, 'fns');
    const d = (await secretData(ns, 'fns'))!;

    expect(d.issued).toBe('Thu, 29 Feb 2024 14:45 CET');
    expect(d.expires).toBe('2024-03-29 1709214300');
    expect(d.durations).toBe(`1h1m1s 2d ${new Date().getUTCFullYear()}`);

    const raw = Buffer.from(d.aes!, 'base64');
    const key = Buffer.alloc(32);
    Buffer.from(aesKey).copy(key, 0, 0, 32);
    const decipher = createDecipheriv('aes-256-cbc', key, raw.subarray(0, 16));
    expect(Buffer.concat([decipher.update(raw.subarray(16)), decipher.final()]).toString()).toBe(password);
    const { createHash } = await import('node:crypto');
    expect(d.aesRoundTrip).toBe(createHash('sha256').update(password).digest('hex'));

    const [user, hash] = d.htpasswd!.split(':');
    expect(user).toBe('admin');
    expect(hash).toMatch(/^\$2a\$10\$/);
    expect(bcryptjs.compareSync(password, hash!)).toBe(true);

    expect(d.yaml).toBe('db.internal:5432|tags:\n- a\n- b\nv: 1.4.2');
    expect(d.semver).toBe('true false 1.5.0');
    expect(d.dig).toBe('nested.internal none');
    expect(d.must).toBe('x 1 2024-01-01 {"a":2}');
    expect(d.words).toBe('http_server_name MyApp 3.3 https://h:8443/p?q=1');
    expect(d.random).toMatch(/^[A-Za-z0-9]{32}$/);

    const ca = new X509Certificate(d['ca.crt']!);
    const leaf = new X509Certificate(d['tls.crt']!);
    expect(ca.ca).toBe(true);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(d['tls.key']!))).toBe(true);
    expect(leaf.subjectAltName).toBe('DNS:app.example, IP Address:10.0.0.1');
    expect(d.sans).toBe('app.example,10.0.0.1');
    // A Java-style trust store holding the CA, its MAC checked with the password.
    const p12 = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(Buffer.from(d['truststore.p12']!, 'base64').toString('binary')),
      true,
      'changeit',
    );
    const bags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    expect(bags.map((b) => b.attributes.friendlyName?.[0])).toEqual(['CN=e2e-ca']);
  }, 60_000);
  it('fails a render whose key generation exceeds its budget, keeping the last good Secret', async () => {
    const spec = (tpl: string) => ({
      refreshInterval: '1h',
      secretStoreRef: { name: 'fake' },
      dataFrom: [{ extract: { key: 'app' } }],
      target: { template: { data: { key: tpl } } },
    });
    apply(externalSecret(ns, 'budget', spec('{{ genPrivateKey "ecdsa" | len | toString }}')));
    await waitEs(ns, 'budget');
    const good = (await secretData(ns, 'budget'))!;
    apply(externalSecret(ns, 'budget', spec('{{ range until 11 }}{{ genPrivateKey "rsa" }}{{ end }}')));
    const es = await waitEs(ns, 'budget', { status: 'False', reason: 'TemplateError' }, 45_000);
    expect(es.status!.conditions![0]!.message).toMatch(
      /error calling genPrivateKey: the render's key generation.*exceed their budget/,
    );
    expect(await secretData(ns, 'budget')).toEqual(good);
  }, 60_000);
});
