// The providers and generators built into this version, shared by the operator and the
// commands that read secrets without one (render, agent, fetch).

import { KubeClient } from '../kube/client.js';
import { GENERATOR_RESOURCES } from '../kube/resources.js';
import type { Metrics } from '../observability/metrics.js';
import { beyondtrustGenerator } from '../providers/beyondtrust/generator.js';
import { lazyGenerator } from '../providers/generator.js';
import type { Generator } from '../providers/generator.js';
import { kubernetesProvider } from '../providers/kubernetes/index.js';
import { localGenerators } from '../providers/local/index.js';
import { builtinStoreProviders } from '../providers/builtin.js';
import { ProviderRegistry } from '../providers/registry.js';
import { cloudsmithAccessTokenGenerator, quayAccessTokenGenerator } from '../providers/tokens/exchange.js';
import { githubAccessTokenGenerator } from '../providers/tokens/github.js';
import { gitlabDeployTokenGenerator } from '../providers/tokens/gitlab.js';
import { grafanaGenerator } from '../providers/tokens/grafana.js';
import { vaultDynamicSecretGenerator } from '../providers/vault/generator.js';
import { webhookGenerator } from '../providers/webhook/generator.js';

/**
 * The store providers without a cluster (providers/builtin.ts: the cloud SDKs load on first
 * use), and the Kubernetes provider, which reads another cluster's Secrets.
 */
export function defaultRegistry(metrics?: Metrics): ProviderRegistry {
  const [fake, ...rest] = builtinStoreProviders((name) => metrics?.providerLogin(name));
  return new ProviderRegistry([fake!, kubernetesProvider((cfg) => KubeClient.fromConfig(cfg)), ...rest]);
}

/**
 * Every generator kind of ESO 2.9: the local ones, Webhook and the token exchanges at start;
 * those needing a cloud SDK (AWS, Google, Azure) load it on first use.
 */
export function defaultGenerators(metrics?: Metrics, allowInsecureCredentials = false): Generator[] {
  const http = { allowPlainHttpCredentials: allowInsecureCredentials };
  let loaded: Promise<Generator[]> | undefined;
  const aws = (kind: 'ECRAuthorizationToken' | 'STSSessionToken') =>
    lazyGenerator(kind, GENERATOR_RESOURCES[kind], 'aws', async () => {
      loaded ??= import('../providers/aws/generators.js').then((m) => m.awsGenerators());
      return (await loaded).find((g) => g.kind === kind)!;
    });
  return [
    vaultDynamicSecretGenerator({ onLogin: () => metrics?.providerLogin('vault') }),
    ...localGenerators(),
    webhookGenerator(http),
    githubAccessTokenGenerator(http),
    quayAccessTokenGenerator(http),
    cloudsmithAccessTokenGenerator(http),
    gitlabDeployTokenGenerator(http),
    grafanaGenerator(http),
    aws('ECRAuthorizationToken'),
    aws('STSSessionToken'),
    lazyGenerator('ACRAccessToken', GENERATOR_RESOURCES.ACRAccessToken, 'azurekv', async () =>
      (await import('../providers/azurekv/registry.js')).acrAccessTokenGenerator(),
    ),
    lazyGenerator('GCRAccessToken', GENERATOR_RESOURCES.GCRAccessToken, 'gcpsm', async () => {
      const [registry, gcpsm] = await Promise.all([
        import('../providers/gcpsm/registry.js'),
        import('../providers/gcpsm/index.js'),
      ]);
      return registry.gcrAccessTokenGenerator(gcpsm.gcpsmOptionsFromEnv(process.env));
    }),
    beyondtrustGenerator(),
  ];
}
