import type { ProviderSpec } from '../api/types.js';
import type { Provider } from './types.js';

/**
 * A provider whose module is imported on first use. The cloud SDKs cost tens of MiB of memory
 * each once imported, and most clusters use one or two backends: an operator that only serves
 * Vault never loads the AWS, Azure or Google clients.
 */
export interface LazyProvider {
  readonly name: string;
  load(): Promise<Provider>;
}

export function lazyProvider(name: string, load: () => Promise<Provider>): LazyProvider {
  return { name, load };
}

function isLazy(p: Provider | LazyProvider): p is LazyProvider {
  return 'load' in p;
}

export class ProviderRegistry {
  private readonly byName = new Map<string, Provider | LazyProvider>();
  private readonly loading = new Map<string, Promise<Provider>>();

  constructor(providers: (Provider | LazyProvider)[]) {
    for (const p of providers) this.byName.set(p.name, p);
  }

  /** The names of every provider built in, loaded or not. */
  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Which providers have been loaded so far (for tests and diagnostics). */
  loaded(): string[] {
    return [...this.byName.values()].filter((p) => !isLazy(p)).map((p) => p.name);
  }

  async get(name: string): Promise<Provider | undefined> {
    const entry = this.byName.get(name);
    if (!entry || !isLazy(entry)) return entry;
    let p = this.loading.get(name);
    if (!p) {
      p = entry.load().then((provider) => {
        this.byName.set(name, provider);
        return provider;
      });
      // A failed import (a broken install) is retried by the next caller, not cached.
      p.catch(() => this.loading.delete(name));
      this.loading.set(name, p);
    }
    return p;
  }

  /**
   * The one provider a store names. Returns an actionable message instead when zero or
   * several are set, or the one set is not built into this version.
   */
  async resolve(spec: ProviderSpec | undefined): Promise<{ provider: Provider } | { error: string }> {
    const keys = Object.entries(spec ?? {})
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k]) => k);
    if (keys.length === 0) return { error: 'spec.provider must name exactly one provider; none is set' };
    if (keys.length > 1)
      return { error: `spec.provider must name exactly one provider; found ${keys.join(', ')}` };
    const name = keys[0]!;
    if (!this.byName.has(name)) {
      return {
        error: `provider "${name}" is not supported by this Syncret version (supported: ${this.names().join(', ')})`,
      };
    }
    try {
      return { provider: (await this.get(name))! };
    } catch (e) {
      return {
        error: `provider "${name}" could not be loaded: ${e instanceof Error ? e.message : String(e)}`,
      };
    }
  }
}
