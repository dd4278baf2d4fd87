import type { ProviderSpec } from '../api/types.js';
import type { Provider } from './types.js';

export class ProviderRegistry {
  private readonly byName = new Map<string, Provider>();

  constructor(providers: Provider[]) {
    for (const p of providers) this.byName.set(p.name, p);
  }

  get(name: string): Provider | undefined {
    return this.byName.get(name);
  }

  /**
   * The one provider a store names. Returns an actionable message instead when zero or
   * several are set, or the one set is not built into this version.
   */
  resolve(spec: ProviderSpec | undefined): { provider: Provider } | { error: string } {
    const keys = Object.entries(spec ?? {})
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k]) => k);
    if (keys.length === 0) return { error: 'spec.provider must name exactly one provider; none is set' };
    if (keys.length > 1)
      return { error: `spec.provider must name exactly one provider; found ${keys.join(', ')}` };
    const name = keys[0]!;
    const provider = this.byName.get(name);
    if (!provider) {
      const known = [...this.byName.keys()].join(', ');
      return { error: `provider "${name}" is not supported by this Syncret version (supported: ${known})` };
    }
    return { provider };
  }
}
