// The store providers built into this version that need no cluster: Vault and OpenBao, the
// webhook and fake, loaded at once (small), and the cloud SDKs (about 50 MiB of memory together),
// imported when the first store naming them connects. The operator adds the Kubernetes provider;
// the library (src/lib) uses these as they are.

import { fakeProvider } from './fake/index.js';
import { authEndpointsFromEnv } from './gcpsm/endpoints.js';
import { lazyProvider } from './registry.js';
import type { LazyProvider } from './registry.js';
import type { Provider } from './types.js';
import { vaultProvider } from './vault/index.js';
import { webhookProvider } from './webhook/provider.js';

export function builtinStoreProviders(
  onLogin: (provider: 'vault' | 'openBao') => void = () => undefined,
): (Provider | LazyProvider)[] {
  // Vault's gcp login: Google's endpoints as the Secret Manager provider sees them.
  const gcp = { endpoints: authEndpointsFromEnv(process.env), metadataHost: process.env.GCE_METADATA_HOST };
  return [
    fakeProvider,
    vaultProvider({ onLogin: () => onLogin('vault'), gcp }),
    vaultProvider({ key: 'openBao', onLogin: () => onLogin('openBao'), gcp }),
    webhookProvider(),
    lazyProvider('aws', async () => (await import('./aws/index.js')).awsProvider()),
    lazyProvider('azurekv', async () => (await import('./azurekv/index.js')).azurekvProvider()),
    lazyProvider('gcpsm', async () => {
      const m = await import('./gcpsm/index.js');
      return m.gcpsmProvider(m.gcpsmOptionsFromEnv(process.env));
    }),
  ];
}
