// The providers and generators built into this version, shared by the operator and the
// commands that read secrets without one (render, agent, fetch).

import { KubeClient } from '../kube/client.js';
import { GENERATOR_RESOURCES } from '../kube/resources.js';
import type { Metrics } from '../observability/metrics.js';
import { beyondtrustGenerator } from '../providers/beyondtrust/generator.js';
import { fakeProvider } from '../providers/fake/index.js';
import { authEndpointsFromEnv } from '../providers/gcpsm/endpoints.js';
import { lazyGenerator } from '../providers/generator.js';
import type { Generator } from '../providers/generator.js';
import { kubernetesProvider } from '../providers/kubernetes/index.js';
import { localGenerators } from '../providers/local/index.js';
import { ProviderRegistry, lazyProvider } from '../providers/registry.js';
import { cloudsmithAccessTokenGenerator, quayAccessTokenGenerator } from '../providers/tokens/exchange.js';
import { githubAccessTokenGenerator } from '../providers/tokens/github.js';
import { gitlabDeployTokenGenerator } from '../providers/tokens/gitlab.js';
import { grafanaGenerator } from '../providers/tokens/grafana.js';
import { vaultDynamicSecretGenerator } from '../providers/vault/generator.js';
import { vaultProvider } from '../providers/vault/index.js';
import { webhookGenerator } from '../providers/webhook/generator.js';
import { webhookProvider } from '../providers/webhook/provider.js';

/**
 * Vault (and OpenBao), the webhook, Kubernetes and fake are small and loaded at start; the cloud SDKs (about 50 MiB of
 * memory together) are imported when the first store naming them is reconciled.
 */
export function defaultRegistry(metrics?: Metrics): ProviderRegistry {
  // Vault's gcp login: Google's endpoints as the Secret Manager provider sees them.
  const vaultGcp = {
    endpoints: authEndpointsFromEnv(process.env),
    metadataHost: process.env.GCE_METADATA_HOST,
  };
  return new ProviderRegistry([
    fakeProvider,
    kubernetesProvider((cfg) => KubeClient.fromConfig(cfg)),
    vaultProvider({ onLogin: () => metrics?.providerLogin('vault'), gcp: vaultGcp }),
    vaultProvider({ key: 'openBao', onLogin: () => metrics?.providerLogin('openBao'), gcp: vaultGcp }),
    webhookProvider(),
    lazyProvider('aws', async () => (await import('../providers/aws/index.js')).awsProvider()),
    lazyProvider('azurekv', async () => (await import('../providers/azurekv/index.js')).azurekvProvider()),
    lazyProvider('gcpsm', async () => {
      const m = await import('../providers/gcpsm/index.js');
      return m.gcpsmProvider(m.gcpsmOptionsFromEnv(process.env));
    }),
  ]);
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
