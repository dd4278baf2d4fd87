// Generators against an in-memory apiserver: object reads, ClusterGenerator unwrapping (in the
// ExternalSecret's namespace), unsupported kinds, controller classes, JSON answers, and the
// connection a connected kind gets.

import { describe, expect, it } from '@jest/globals';
import type { KubeObject } from '../../api/types.js';
import { CLUSTER_GENERATORS, GENERATOR_RESOURCES, SECRETS } from '../../kube/resources.js';
import { MemoryApi } from '../../kube/testing/memory-api.js';
import { ClientCache } from '../../providers/clients.js';
import { ProviderError } from '../../providers/errors.js';
import { GeneratorNotSupportedError, unsupportedGenerator } from '../../providers/generator.js';
import type { Generator, GeneratorEnv } from '../../providers/generator.js';
import { fakeGenerator, passwordGenerator } from '../../providers/local/index.js';
import type { Provider, SecretsClient } from '../../providers/types.js';
import { Generators } from './access.js';

const dec = (d: Record<string, Uint8Array>) =>
  Object.fromEntries(Object.entries(d).map(([k, v]) => [k, new TextDecoder().decode(v)]));
const gv = 'generators.external-secrets.io/v1alpha1';

/** Answers with what its environment saw: the namespace, a Secret read, the client. */
function probe(): Generator & { envs: GeneratorEnv[] } {
  const envs: GeneratorEnv[] = [];
  const connector: Provider = {
    name: 'probe',
    capabilities: 'ReadOnly',
    validateSpec: () => undefined,
    connect: async () =>
      ({
        getSecret: async () => ({ kind: 'bytes', data: new Uint8Array() }),
        validate: async () => ({ result: 'Valid' }),
        close: async () => undefined,
      }) as SecretsClient,
  };
  return {
    envs,
    kind: 'Webhook',
    resource: GENERATOR_RESOURCES.Webhook,
    provider: 'probe',
    connection: {
      connector,
      of: (obj, namespace) => ({
        kind: 'SecretStore',
        name: `Webhook:${obj.metadata.name}`,
        namespace,
        requesterNamespace: namespace,
        provider: {},
      }),
    },
    validate: () => undefined,
    async generate(env, obj) {
      envs.push(env);
      const s = await env.readSecret('creds', 'test');
      return {
        data: { from: new TextEncoder().encode(obj.metadata.name ?? '') },
        json: { user: s.labels.team ?? '', n: 1.5, obj: { b: 1, a: 2 }, nil: null },
      };
    },
  };
}

function setup(generators: Generator[], controllerClass = '') {
  const api = new MemoryApi();
  const g = new Generators({
    api,
    clients: new ClientCache(),
    generators,
    controllerClass,
    signal: new AbortController().signal,
  });
  return { api, g };
}

describe('Generators', () => {
  it('reads the generator in the ExternalSecret namespace and runs it', async () => {
    const { api, g } = setup([fakeGenerator()]);
    api.seed(GENERATOR_RESOURCES.Fake, {
      apiVersion: gv,
      kind: 'Fake',
      metadata: { name: 'f', namespace: 'a' },
      spec: { data: { k: 'v' } },
    });
    const out = await g.generate('a', { apiVersion: gv, kind: 'Fake', name: 'f' }, 'dataFrom[0]');
    expect(dec(out.data)).toEqual({ k: 'v' });
    expect(out.provider).toBe('fake');
    await expect(g.generate('b', { kind: 'Fake', name: 'f' }, 'dataFrom[0]')).rejects.toThrow(
      /Fake "f" not found in namespace "b"/,
    );
    await expect(
      g.generate('a', { apiVersion: 'x/v1', kind: 'Fake', name: 'f' }, 'dataFrom[0]'),
    ).rejects.toThrow(/apiVersion/);
  });

  it('unwraps a ClusterGenerator into its kind, in the ExternalSecret namespace', async () => {
    const p = probe();
    const { api, g } = setup([p, passwordGenerator()]);
    api.seed(CLUSTER_GENERATORS, {
      apiVersion: gv,
      kind: 'ClusterGenerator',
      metadata: { name: 'cg' },
      spec: { kind: 'Webhook', generator: { webhookSpec: { url: 'https://x', result: {} } } },
    } as KubeObject);
    api.seed(SECRETS, {
      metadata: { name: 'creds', namespace: 'team-a', labels: { team: 'a' } },
      data: {},
    } as KubeObject);
    const out = await g.generate('team-a', { kind: 'ClusterGenerator', name: 'cg' }, 'dataFrom[1]');
    // ESO's conversion of a JSON answer: strings as they are, numbers as Go prints, objects as JSON.
    expect(dec(out.data)).toEqual({ from: 'cg', user: 'a', n: '1.5', obj: '{"a":2,"b":1}', nil: '' });
    expect(p.envs[0]?.namespace).toBe('team-a');
    expect(p.envs[0]?.client).toBeDefined();
    // Its references resolve in the ExternalSecret's namespace only.
    await expect(
      p.envs[0]!.ctx.readSecretKey({ name: 'creds', namespace: 'other', key: 'k' }, 'x'),
    ).rejects.toThrow(/only read credentials in its own namespace "team-a"/);
    api.seed(CLUSTER_GENERATORS, {
      apiVersion: gv,
      kind: 'ClusterGenerator',
      metadata: { name: 'bad' },
      spec: { kind: 'Password', generator: { uuidSpec: {} } },
    } as KubeObject);
    await expect(
      g.generate('team-a', { kind: 'ClusterGenerator', name: 'bad' }, 'dataFrom[0]'),
    ).rejects.toThrow(/is of kind Password, so spec.generator.passwordSpec must be set/);
  });

  it('reports unsupported kinds with a typed error naming the kind', async () => {
    const { api, g } = setup([
      unsupportedGenerator('Grafana', GENERATOR_RESOURCES.Grafana, 'not implemented'),
    ]);
    api.seed(GENERATOR_RESOURCES.Grafana, {
      apiVersion: gv,
      kind: 'Grafana',
      metadata: { name: 'g', namespace: 'a' },
      spec: {},
    });
    const err = await g.generate('a', { kind: 'Grafana', name: 'g' }, 'dataFrom[0]').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GeneratorNotSupportedError);
    expect((err as Error).message).toMatch(/generator kind Grafana is not supported by Syncret/);
    const none = await g.generate('a', { kind: 'MFA', name: 'm' }, 'dataFrom[0]').catch((e: unknown) => e);
    expect(none).toBeInstanceOf(GeneratorNotSupportedError);
  });

  it('refuses generators of another controller class and invalid specs', async () => {
    const { api, g } = setup([fakeGenerator(), passwordGenerator()], 'blue');
    api.seed(GENERATOR_RESOURCES.Fake, {
      apiVersion: gv,
      kind: 'Fake',
      metadata: { name: 'f', namespace: 'a' },
      spec: { controller: 'red' },
    });
    await expect(g.generate('a', { kind: 'Fake', name: 'f' }, 'dataFrom[0]')).rejects.toThrow(
      /controller class "red", not "blue"/,
    );
    // A generator that names no class (most kinds have no such field) serves any operator.
    api.seed(GENERATOR_RESOURCES.Fake, {
      apiVersion: gv,
      kind: 'Fake',
      metadata: { name: 'unclassed', namespace: 'a' },
      spec: { data: { k: 'v' } },
    });
    expect(dec((await g.generate('a', { kind: 'Fake', name: 'unclassed' }, 'dataFrom[0]')).data)).toEqual({
      k: 'v',
    });
    const { api: api2, g: g2 } = setup([passwordGenerator()]);
    api2.seed(GENERATOR_RESOURCES.Password, {
      apiVersion: gv,
      kind: 'Password',
      metadata: { name: 'p', namespace: 'a' },
      spec: { length: 4, digits: 4, symbols: 4 },
    });
    const err = await g2
      .generate('a', { kind: 'Password', name: 'p' }, 'dataFrom[0]')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).reason).toBe('InvalidProviderConfig');
  });
});
