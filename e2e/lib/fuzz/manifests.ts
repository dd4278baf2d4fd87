// The fuzz suite's manifests: hostile ExternalSecrets and stores by category (the cases of issue
// #22), and random mutations of valid ones. Case i of a seed depends only on the seed, i and the
// context (names of the namespace, its stores and the closed port), never on other cases.

import {
  CATASTROPHIC,
  INTERVALS,
  LENGTHS,
  RUNAWAY_TEMPLATES,
  brokenTemplate,
  deepObject,
  hostilePattern,
  hostileString,
  longString,
  randomValue,
  raw,
  withControl,
} from './hostile.js';
import { mutateSpec } from './mutate.js';
import { Rng } from './rng.js';

export interface FuzzContext {
  ns: string;
  /** A fake store of the namespace whose values are the test's secrets (keys in `keys`). */
  store: string;
  keys: readonly string[];
  /** A fake store whose values and key names make backtracking engines hang. */
  evilStore: string;
  /** A Secret of the namespace with keys token, id and secret (store credentials). */
  creds: string;
  /** A ConfigMap of the namespace with template keys tmpl and json. */
  configMap: string;
  /** A Password generator of the namespace. */
  generator: string;
  /** A loopback listener that records any plain-HTTP request (nothing may carry a credential). */
  trapPort: number;
  /** The control ExternalSecret's target Secret: no fuzz case may change it. */
  controlTarget: string;
  /** Prefix of cluster-scoped names, removed after the run. */
  clusterPrefix: string;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, unknown>;
    annotations?: Record<string, unknown>;
  };
  spec?: unknown;
  [k: string]: unknown;
}

export interface FuzzCase {
  index: number;
  category: string;
  manifest: Manifest;
  /** fieldValidation=Strict (as kubectl sends it) rather than the API's default. */
  strict: boolean;
}

type Spec = Record<string, unknown>;
type Build = (rng: Rng, ctx: FuzzContext, i: number) => Manifest;

const GROUP = 'external-secrets.io/v1';

const es = (ctx: FuzzContext, name: string, spec: unknown, meta: object = {}): Manifest => ({
  apiVersion: GROUP,
  kind: 'ExternalSecret',
  metadata: { name, namespace: ctx.ns, ...meta },
  spec,
});

const store = (ctx: FuzzContext, i: number, provider: unknown, extra: Spec = {}): Manifest => ({
  apiVersion: GROUP,
  kind: 'SecretStore',
  metadata: { name: `st-${i}`, namespace: ctx.ns },
  spec: { provider, ...extra },
});

const esName = (i: number, tag: string) => `f${i}-${tag}`;

function common(rng: Rng, storeName: string): Spec {
  return {
    refreshInterval: rng.pick(['10s', '1h', '0', '1ns']),
    secretStoreRef: { name: storeName, ...(rng.chance(0.3) ? { kind: 'SecretStore' } : {}) },
  };
}

const dataK = (key = 'k') => [{ secretKey: 'k', remoteRef: { key } }];

function withTemplate(rng: Rng, ctx: FuzzContext, i: number, tag: string, tmpl: string): Manifest {
  const spec: Spec = { ...common(rng, ctx.store), data: dataK(rng.pick(ctx.keys)) };
  const where = rng.int(4);
  if (where === 0) spec.target = { template: { data: { out: tmpl } } };
  else if (where === 1) spec.target = { template: { templateFrom: [{ literal: tmpl }] } };
  else if (where === 2)
    spec.target = { template: { metadata: { annotations: { a: tmpl } }, data: { out: 'x' } } };
  else
    spec.dataFrom = [
      { extract: { key: 'json' }, rewrite: [{ transform: { template: tmpl.slice(0, 4096) } }] },
    ];
  return es(ctx, esName(i, tag), spec);
}

const REGEX_FUNCS = [
  (p: string) => `{{ regexMatch ${p} .k }}`,
  (p: string) => `{{ mustRegexMatch ${p} .k }}`,
  (p: string) => `{{ regexFind ${p} .k }}`,
  (p: string) => `{{ regexFindAll ${p} .k -1 | toJson }}`,
  (p: string) => `{{ regexReplaceAll ${p} .k "x$1" }}`,
  (p: string) => `{{ regexReplaceAllLiteral ${p} .k "x" }}`,
  (p: string) => `{{ regexSplit ${p} .k -1 | toJson }}`,
];

const regexTemplate: Build = (rng, ctx, i) =>
  es(ctx, esName(i, 'rxtmpl'), {
    ...common(rng, ctx.evilStore),
    data: dataK(),
    target: { template: { data: { out: rng.pick(REGEX_FUNCS)(raw(hostilePattern(rng))) } } },
  });

const regexRewrite: Build = (rng, ctx, i) =>
  es(ctx, esName(i, 'rxrw'), {
    ...common(rng, ctx.evilStore),
    dataFrom: [
      {
        extract: { key: 'json' },
        rewrite: Array.from({ length: rng.range(1, 3) }, () => ({
          regexp: {
            source: hostilePattern(rng),
            target: rng.pick(['$1', 'x', '${1}${2}', '', '$name', '$$', '${', '$0$0$0']),
          },
        })),
      },
    ],
  });

const regexFind: Build = (rng, ctx, i) =>
  es(ctx, esName(i, 'rxfind'), {
    ...common(rng, rng.pick([ctx.evilStore, ctx.store])),
    dataFrom: [
      {
        find: {
          name: { regexp: hostilePattern(rng) },
          ...(rng.chance(0.3) ? { path: rng.pick(['a', '', '/', 'aaaa', withControl(rng, 'a')]) } : {}),
          ...(rng.chance(0.2) ? { conversionStrategy: rng.pick(['Default', 'Unicode']) } : {}),
        },
      },
    ],
  });

const runaway: Build = (rng, ctx, i) => withTemplate(rng, ctx, i, 'loop', rng.pick(RUNAWAY_TEMPLATES));

const broken: Build = (rng, ctx, i) => withTemplate(rng, ctx, i, 'tmpl', brokenTemplate(rng));

/** Key generation and hashing in a loop: at most a few per run (they cost real CPU until the budget stops them). */
const heavy: Build = (rng, ctx, i) =>
  withTemplate(
    rng,
    ctx,
    i,
    'heavy',
    rng.pick([
      '{{ range until 50 }}{{ genPrivateKey "rsa" }}{{ end }}',
      '{{ range until 100 }}{{ bcrypt $.k }}{{ end }}',
      '{{ range until 20 }}{{ genCA "x" 365 | toJson }}{{ end }}',
    ]),
  );

const interval: Build = (rng, ctx, i) => {
  if (rng.chance(0.25))
    return store(
      ctx,
      i,
      { fake: { data: [{ key: 'k', value: 'v' }] } },
      { refreshInterval: rng.pick([-1, 0, 1, 2 ** 53, 1e308, '1ns', 'abc', '0.0000001s', '-5m', '']) },
    );
  return es(ctx, esName(i, 'ival'), {
    ...common(rng, ctx.store),
    refreshInterval: rng.pick(INTERVALS),
    ...(rng.chance(0.4)
      ? { refreshPolicy: rng.pick(['Periodic', 'OnChange', 'CreatedOnce', 'Never', '']) }
      : {}),
    data: dataK(rng.pick(ctx.keys)),
  });
};

/** The 1 MiB values: a handful per run (each is stored and listed like any object). */
const isHugeSlot = (i: number) => i % 500 === 3;

const oversize: Build = (rng, ctx, i) => {
  const n = isHugeSlot(i) ? rng.pick([1_048_576, 1_048_577]) : rng.pick(LENGTHS);
  const s = longString(rng, n);
  const spec: Spec = { ...common(rng, ctx.store), data: dataK(rng.pick(ctx.keys)) };
  const meta: Record<string, unknown> = {};
  const field = isHugeSlot(i)
    ? 'template'
    : rng.pick([
        'key',
        'property',
        'version',
        'secretKey',
        'target',
        'template',
        'annotation',
        'label',
        'find',
        'rewrite',
        'path',
        'literal',
        'name',
      ]);
  const entry = { secretKey: 'k', remoteRef: { key: rng.pick(ctx.keys) } as Record<string, unknown> };
  spec.data = [entry];
  let name = esName(i, 'big');
  switch (field) {
    case 'key':
      entry.remoteRef.key = s;
      break;
    case 'property':
      entry.remoteRef.property = s;
      break;
    case 'version':
      entry.remoteRef.version = s;
      break;
    case 'secretKey':
      entry.secretKey = s;
      break;
    case 'target':
      spec.target = { name: s.toLowerCase().replace(/[^a-z0-9.-]/g, 'a') };
      break;
    case 'template':
      spec.target = { template: { data: { out: s } } };
      break;
    case 'annotation':
      spec.target = { template: { metadata: { annotations: { a: s } } } };
      break;
    case 'label':
      meta.labels = { l: s };
      break;
    case 'find':
      spec.dataFrom = [{ find: { name: { regexp: s } } }];
      break;
    case 'rewrite':
      spec.dataFrom = [{ extract: { key: 'json' }, rewrite: [{ regexp: { source: s, target: s } }] }];
      break;
    case 'path':
      spec.dataFrom = [{ find: { path: s } }];
      break;
    case 'literal':
      spec.target = { template: { templateFrom: [{ literal: s }] } };
      break;
    case 'name':
      name = `f${i}-${'n'.repeat(Math.min(n, 300))}`;
      break;
  }
  return es(ctx, name, spec, meta);
};

const control: Build = (rng, ctx, i) => {
  const spec: Spec = { ...common(rng, ctx.store) };
  const meta: Record<string, unknown> = {};
  const entry = { secretKey: 'k', remoteRef: { key: rng.pick(ctx.keys) } as Record<string, unknown> };
  spec.data = [entry];
  let name = esName(i, 'ctl');
  switch (rng.int(12)) {
    case 0:
      entry.remoteRef.key = withControl(rng, rng.pick(ctx.keys));
      break;
    case 1:
      entry.remoteRef.property = withControl(rng, 'user');
      break;
    case 2:
      entry.secretKey = withControl(rng, 'k');
      break;
    case 3:
      spec.target = { name: withControl(rng, `t${i}`) };
      break;
    case 4:
      spec.target = { template: { data: { [withControl(rng, 'o')]: '{{ .k }}' } } };
      break;
    case 5:
      spec.target = { template: { data: { out: withControl(rng, '{{ .k }}') } } };
      break;
    case 6:
      meta.annotations = { a: withControl(rng, 'x') };
      break;
    case 7:
      meta.labels = { l: withControl(rng, 'x') };
      break;
    case 8:
      spec.dataFrom = [
        { extract: { key: 'json' }, rewrite: [{ regexp: { source: '.*', target: withControl(rng, 'k') } }] },
      ];
      break;
    case 9:
      spec.refreshInterval = withControl(rng, '10s');
      break;
    case 10:
      entry.remoteRef.version = withControl(rng, 'v1');
      break;
    default:
      name = withControl(rng, name);
  }
  return es(ctx, name, spec, meta);
};

const deep: Build = (rng, ctx, i) => {
  const spec: Spec = { ...common(rng, ctx.store) };
  switch (rng.int(5)) {
    case 0:
      spec.data = [
        {
          secretKey: 'k',
          remoteRef: {
            key: 'deep',
            property: Array.from({ length: rng.range(10, 2000) }, () => '0').join('.'),
          },
        },
      ];
      break;
    case 1:
      spec.dataFrom = [{ extract: { key: 'deep' } }];
      break;
    case 2:
      spec.data = dataK('deep');
      spec.target = {
        template: {
          data: {
            out: rng.pick([
              '{{ .k | fromJson | toJson }}',
              '{{ .k | fromYaml | toYaml }}',
              '{{ .k | fromJson | dig "a" "b" "x" }}',
            ]),
          },
        },
      };
      break;
    case 3:
      spec.dataFrom = [{ extract: { key: 'deepobj', property: 'a' } }];
      break;
    default:
      // A deep manifest: pruned (an unknown field) or refused by the apiserver's decoder.
      spec.data = dataK(rng.pick(ctx.keys));
      spec['x-deep'] = deepObject(rng.pick([50, 500, 2500]));
  }
  return es(ctx, esName(i, 'deep'), spec);
};

const GENERATOR_KINDS = [
  'Password',
  'Fake',
  'UUID',
  'VaultDynamicSecret',
  'ClusterGenerator',
  'ECRAuthorizationToken',
  'Webhook',
  'Nope',
  '',
];

const refs: Build = (rng, ctx, i) => {
  const spec: Spec = { ...common(rng, ctx.store), data: dataK(rng.pick(ctx.keys)) };
  switch (rng.int(10)) {
    case 0:
      spec.secretStoreRef = {
        name: ctx.store,
        kind: rng.pick(['Secret', 'secretstore', '', 'ClusterSecretStores', 'Vault']),
      };
      break;
    case 1:
      spec.secretStoreRef = {
        name: rng.pick(['missing', 'st-999999', ctx.store.toUpperCase(), '']),
        ...(rng.chance(0.5) ? { kind: 'ClusterSecretStore' } : {}),
      };
      break;
    case 2:
      spec.dataFrom = [
        {
          sourceRef: {
            storeRef: { name: ctx.store },
            generatorRef: { kind: 'Password', name: ctx.generator },
          },
        },
      ];
      break;
    case 3:
      spec.dataFrom = [
        {
          sourceRef: {
            generatorRef: {
              kind: rng.pick(GENERATOR_KINDS),
              name: rng.pick([ctx.generator, 'missing', '']),
              ...(rng.chance(0.5)
                ? {
                    apiVersion: rng.pick([
                      'generators.external-secrets.io/v1alpha1',
                      'v1',
                      'x/y',
                      'generators.external-secrets.io/v9',
                      '',
                    ]),
                  }
                : {}),
            },
          },
        },
      ];
      break;
    case 4:
      spec.data = [
        {
          secretKey: 'k',
          remoteRef: { key: 'k' },
          sourceRef: {
            storeRef: {
              name: rng.pick(['missing', ctx.evilStore]),
              kind: rng.pick(['SecretStore', 'ClusterSecretStore']),
            },
          },
        },
      ];
      break;
    case 5:
      spec.target = {
        template: {
          templateFrom: [
            rng.pick([
              { configMap: { name: 'missing', items: [{ key: 'tmpl' }] } },
              { configMap: { name: ctx.configMap, items: [{ key: 'missing' }] } },
              {
                configMap: {
                  name: ctx.configMap,
                  items: [{ key: 'tmpl', templateAs: rng.pick(['Values', 'KeysAndValues', 'Nope']) }],
                },
              },
              { secret: { name: ctx.creds, items: [{ key: 'token' }] } },
              { secret: { name: 'missing', items: [] } },
            ]),
          ],
        },
      };
      break;
    case 6:
      // Another tenant's object's Secret: reported as owned by another, never written.
      spec.target = { name: ctx.controlTarget, creationPolicy: rng.pick(['Owner', 'Orphan', 'Merge']) };
      break;
    case 7:
      spec.target = { name: `shared-${rng.int(4)}` };
      break;
    case 8:
      spec.target = { name: `none-${i}`, creationPolicy: rng.pick(['Merge', 'None']) };
      break;
    default:
      spec.secretStoreRef = { name: `st-${rng.int(1000)}` };
  }
  return es(ctx, esName(i, 'ref'), spec);
};

function urls(rng: Rng, ctx: FuzzContext): string {
  const p = ctx.trapPort;
  return rng.pick([
    `http://127.0.0.1:${p}`,
    `http://user:pw@127.0.0.1:${p}/x?y=1`,
    `HTTP://127.0.0.1:${p}`,
    `Http://localhost:${p}`,
    `http://[::1]:${p}`,
    ` http://127.0.0.1:${p}`,
    `http:127.0.0.1:${p}`,
    `127.0.0.1:${p}`,
    `https://127.0.0.1:${p}`,
    `https://localhost:${p}/v1`,
    'file:///etc/passwd',
    'unix:///var/run/x.sock',
    'http://127.0.0.1:99999',
    '',
  ]);
}

const insecureStore: Build = (rng, ctx, i) => {
  const url = urls(rng, ctx);
  const tok = { name: ctx.creds, key: 'token' };
  return store(
    ctx,
    i,
    rng.pick([
      () => ({ vault: { server: url, path: 'kv', version: 'v2', auth: { tokenSecretRef: tok } } }),
      () => ({
        vault: {
          server: url,
          path: 'kv',
          auth: { kubernetes: { role: 'r', serviceAccountRef: { name: 'default' } } },
        },
      }),
      () => ({
        vault: {
          server: url,
          auth: { appRole: { path: 'approle', roleId: 'r', secretRef: { name: ctx.creds, key: 'secret' } } },
        },
      }),
      () => ({
        vault: {
          server: url,
          auth: {
            jwt: { path: 'jwt', kubernetesServiceAccountToken: { serviceAccountRef: { name: 'default' } } },
          },
        },
      }),
      () => ({ vault: { server: url, caBundle: 'bm90IGEgY2VydGlmaWNhdGU=', auth: { tokenSecretRef: tok } } }),
      () => ({
        kubernetes: {
          server: { url },
          remoteNamespace: 'default',
          auth: { serviceAccount: { name: 'default' } },
        },
      }),
      () => ({
        kubernetes: { server: { url }, remoteNamespace: 'default', auth: { token: { bearerToken: tok } } },
      }),
      () => ({ kubernetes: { remoteNamespace: ctx.ns, auth: { serviceAccount: { name: 'default' } } } }),
      () => ({
        azurekv: {
          vaultUrl: url,
          tenantId: 't',
          authSecretRef: {
            clientId: { name: ctx.creds, key: 'id' },
            clientSecret: { name: ctx.creds, key: 'secret' },
          },
        },
      }),
      () => ({
        gcpsm: {
          projectID: 'p',
          auth: { secretRef: { secretAccessKeySecretRef: { name: ctx.creds, key: 'secret' } } },
        },
      }),
      () => ({
        aws: {
          service: rng.pick(['SecretsManager', 'ParameterStore']),
          region: 'us-east-1',
          auth: {
            secretRef: {
              accessKeyIDSecretRef: { name: ctx.creds, key: 'id' },
              secretAccessKeySecretRef: { name: ctx.creds, key: 'secret' },
            },
          },
        },
      }),
      () => ({ fake: { data: [{ key: 'k', value: 'v' }] }, vault: { server: url } }),
      () => ({}),
    ])(),
  );
};

const useStore: Build = (rng, ctx, i) =>
  es(ctx, esName(i, 'use'), {
    ...common(rng, `st-${rng.int(Math.max(1, i + 50))}`),
    data: dataK(rng.pick(['k', ...ctx.keys])),
  });

const policies: Build = (rng, ctx, i) => {
  const target: Spec = {};
  if (rng.chance(0.7)) target.creationPolicy = rng.pick(['Owner', 'Orphan', 'Merge', 'None', 'owner']);
  if (rng.chance(0.6)) target.deletionPolicy = rng.pick(['Retain', 'Delete', 'Merge', 'Keep']);
  if (rng.chance(0.3)) target.immutable = rng.chance(0.5);
  if (rng.chance(0.4)) target.name = `p-${rng.int(6)}`;
  if (rng.chance(0.5))
    target.template = {
      ...(rng.chance(0.5) ? { mergePolicy: rng.pick(['Replace', 'Merge', 'Both']) } : {}),
      ...(rng.chance(0.4) ? { engineVersion: rng.pick(['v2', 'v1', 'v3']) } : {}),
      ...(rng.chance(0.5)
        ? {
            type: rng.pick([
              'Opaque',
              'kubernetes.io/tls',
              'bootstrap.kubernetes.io/token',
              'kubernetes.io/service-account-token',
              'kubernetes.io/dockerconfigjson',
              'x/y',
            ]),
          }
        : {}),
      ...(rng.chance(0.5) ? { data: { out: '{{ .k }}' } } : {}),
      ...(rng.chance(0.2)
        ? { metadata: { annotations: { 'kubernetes.io/service-account.name': 'default' } } }
        : {}),
    };
  const missing = rng.chance(0.3);
  return es(ctx, esName(i, 'pol'), {
    ...common(rng, ctx.store),
    ...(rng.chance(0.4) ? { refreshPolicy: rng.pick(['Periodic', 'OnChange', 'CreatedOnce']) } : {}),
    target,
    ...(rng.chance(0.5)
      ? { data: dataK(missing ? 'missing' : rng.pick(ctx.keys)) }
      : {
          dataFrom: [
            rng.pick([
              { extract: { key: missing ? 'missing' : 'json' } },
              { find: { name: { regexp: missing ? '^nothing$' : '^k' } } },
            ]),
          ],
        }),
  });
};

function validEs(rng: Rng, ctx: FuzzContext): Spec {
  return rng.pick<() => Spec>([
    () => ({
      ...common(rng, ctx.store),
      data: dataK(rng.pick(ctx.keys)),
      target: { template: { data: { out: '{{ .k | upper }}' } } },
    }),
    () => ({
      ...common(rng, ctx.store),
      dataFrom: [{ extract: { key: 'json' }, rewrite: [{ regexp: { source: '^(.*)$', target: 'p-$1' } }] }],
    }),
    () => ({ ...common(rng, ctx.store), dataFrom: [{ find: { name: { regexp: '^k' } } }] }),
    () => ({
      ...common(rng, ctx.store),
      data: [{ secretKey: 'u', remoteRef: { key: 'json', property: 'user' } }],
    }),
    () => ({
      refreshInterval: '1h',
      dataFrom: [{ sourceRef: { generatorRef: { kind: 'Password', name: ctx.generator } } }],
    }),
    () => ({
      ...common(rng, ctx.store),
      data: dataK(),
      target: {
        name: `m-${rng.int(5)}`,
        template: { templateFrom: [{ configMap: { name: ctx.configMap, items: [{ key: 'tmpl' }] } }] },
      },
    }),
  ])();
}

const mutateEs: Build = (rng, ctx, i) => {
  const m = es(ctx, esName(i, 'mut'), mutateSpec(rng, validEs(rng, ctx)));
  if (rng.chance(0.15)) m.metadata.annotations = { [rng.pick(['force-sync', 'a', ''])]: randomValue(rng) };
  return m;
};

function validStore(rng: Rng, ctx: FuzzContext): unknown {
  return rng.pick<() => unknown>([
    () => ({
      fake: {
        data: [
          { key: 'k', value: 'v' },
          { key: 'json', value: '{"a":"b"}' },
          { key: 'm', valueMap: { a: 'b' } },
        ],
      },
    }),
    () => ({
      vault: {
        server: `https://127.0.0.1:${ctx.trapPort}`,
        path: 'kv',
        version: 'v2',
        auth: { tokenSecretRef: { name: ctx.creds, key: 'token' } },
      },
    }),
    () => ({ kubernetes: { remoteNamespace: ctx.ns, auth: { serviceAccount: { name: 'default' } } } }),
    () => ({ fake: { data: [{ key: 'k', value: 'v', version: 'v1' }] } }),
  ])();
}

const mutateStore: Build = (rng, ctx, i) => {
  const spec = mutateSpec(rng, {
    provider: validStore(rng, ctx),
    ...(rng.chance(0.2) ? { refreshInterval: 60 } : {}),
  });
  // Another controller class is a store this operator must leave alone; tested apart.
  delete spec.controller;
  return { ...store(ctx, i, {}), spec };
};

const kinds: Build = (rng, ctx, i) => {
  const base = es(ctx, esName(i, 'kind'), { ...common(rng, ctx.store), data: dataK() });
  switch (rng.int(4)) {
    case 0:
      base.kind = rng.pick(['ExternalSecrets', 'externalsecret', 'SecretStores', 'Generator', 'PushSecret2']);
      break;
    case 1:
      base.apiVersion = rng.pick([
        'external-secrets.io/v2',
        'external-secrets.io/v1beta1',
        'generators.external-secrets.io/v1alpha1',
        'external-secrets.io',
      ]);
      break;
    case 2:
      base.metadata.name = rng.pick([
        'UPPER',
        'with_underscore',
        '-lead',
        'trail-',
        'a'.repeat(254),
        'dot..dot',
        'ünï',
        'sp ace',
        '',
      ]);
      break;
    default:
      base.kind = 'SecretStore';
      base.metadata.name = `st-${i}`;
  }
  return base;
};

const clusterStore: Build = (rng, ctx, i) => ({
  apiVersion: GROUP,
  kind: 'ClusterSecretStore',
  metadata: { name: `${ctx.clusterPrefix}${i}` },
  spec: {
    provider: rng.chance(0.5)
      ? { fake: { data: [{ key: 'k', value: 'v' }] } }
      : {
          vault: {
            server: urls(rng, ctx),
            auth: { tokenSecretRef: { name: ctx.creds, key: 'token', namespace: ctx.ns } },
          },
        },
    conditions: [
      rng.pick([
        { namespaceRegexes: [hostilePattern(rng)] },
        { namespaces: [ctx.ns, hostileString(rng)] },
        {
          namespaceSelector: {
            matchExpressions: [{ key: 'x', operator: rng.pick(['In', 'Exists', 'Nope']), values: ['a'] }],
          },
        },
        { namespaceSelector: { matchLabels: { [hostileString(rng).slice(0, 60)]: 'x' } } },
      ]),
    ],
  },
});

const CATEGORIES: readonly (readonly [string, Build, number])[] = [
  ['regex-template', regexTemplate, 7],
  ['regex-rewrite', regexRewrite, 5],
  ['regex-find', regexFind, 4],
  ['template-runaway', runaway, 7],
  ['template-broken', broken, 7],
  ['interval', interval, 7],
  ['oversize', oversize, 7],
  ['control-chars', control, 7],
  ['deep-json', deep, 4],
  ['references', refs, 8],
  // Few stores per run: each unreachable backend holds one of the operator's 4 store workers for
  // seconds (as long as its client keeps trying): docs/RELIABILITY.md, "Fuzzing".
  ['insecure-store', insecureStore, 3],
  ['store-user', useStore, 2],
  ['policies', policies, 6],
  ['mutated-externalsecret', mutateEs, 10],
  ['mutated-store', mutateStore, 6],
  ['kinds-and-names', kinds, 3],
  ['cluster-store', clusterStore, 2],
];

/** Case `index` of `seed`. */
export function fuzzCase(seed: number, index: number, ctx: FuzzContext): FuzzCase {
  const rng = Rng.forCase(seed, index);
  const strict = rng.chance(0.5);
  // A few slots per run for the costly ones: their cost is real CPU until the budget stops them.
  const [category, build] =
    index % 500 === 7
      ? (['template-heavy', heavy] as const)
      : rng.weighted(CATEGORIES.map(([c, b, w]) => [[c, b] as const, w] as const));
  return { index, category, manifest: build(rng, ctx, index), strict };
}

export function fuzzCases(seed: number, count: number, ctx: FuzzContext): FuzzCase[] {
  return Array.from({ length: count }, (_, i) => fuzzCase(seed, i, ctx));
}

/** The catastrophic patterns the evil store's values are made for. */
export const EVIL_INPUT = { value: `${'a'.repeat(56)}!`, key: `${'a'.repeat(56)}-` } as const;
export { CATASTROPHIC };
