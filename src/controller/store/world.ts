// What the store reconciler may read: the provider registry, a live validation through the
// shared client, the clock and the operator's defaults.

import type { ProviderRegistry } from '../../providers/registry.js';
import type { Provider, StoreInfo, ValidationResult } from '../../providers/types.js';
import type { StoreAccess } from './access.js';
import type { FailingStore, StoreHealth } from './health.js';

export interface StoreWorld {
  now(): number;
  controllerClass: string;
  registry: ProviderRegistry;
  /** Connects through the shared client cache and runs the provider's validation. */
  validate(provider: Provider, info: StoreInfo): Promise<ValidationResult>;
  /** Re-validation interval when the store sets none. */
  defaultRevalidateMs: number;
  /** Reads through the store are failing (see ./health.ts), or undefined. */
  failing?(ref: string): Readonly<FailingStore> | undefined;
  /** Replays the failed read once: true when the store serves reads again. */
  probe?(ref: string): Promise<boolean>;
  /** The operator's floor on a store's refreshInterval; 0 or undefined: none. */
  minRefreshIntervalMs?: number;
}

export function storeWorld(deps: {
  controllerClass: string;
  registry: ProviderRegistry;
  access: StoreAccess;
  defaultRevalidateMs: number;
  health?: StoreHealth;
  minRefreshIntervalMs?: number;
}): StoreWorld {
  const health = deps.health;
  return {
    ...(health
      ? { failing: (ref: string) => health.get(ref), probe: (ref: string) => health.probe(ref) }
      : {}),
    now: Date.now,
    controllerClass: deps.controllerClass,
    registry: deps.registry,
    validate: (provider, info) => deps.access.validate(provider, info),
    defaultRevalidateMs: deps.defaultRevalidateMs,
    minRefreshIntervalMs: deps.minRefreshIntervalMs,
  };
}
