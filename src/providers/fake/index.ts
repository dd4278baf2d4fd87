// The fake provider serves values written in the store spec itself. It exists for demos,
// tests and `syncret render`, and follows ESO's fake provider: entries match on key and
// version; `valueMap` (deprecated upstream) becomes a structured value.

import type { FakeProvider, FakeProviderData, FindRef } from '../../api/types.js';
import { ProviderError } from '../errors.js';
import { findNameMatcher } from '../shared.js';
import type {
  Provider,
  RemoteKeyRef,
  RemoteValue,
  SecretsClient,
  StoreInfo,
  ValidationResult,
} from '../types.js';

const encoder = new TextEncoder();

function toValue(entry: FakeProviderData): RemoteValue {
  if (entry.valueMap && entry.value === undefined) return { kind: 'map', data: { ...entry.valueMap } };
  return { kind: 'bytes', data: encoder.encode(entry.value ?? '') };
}

// ESO encodes validationResult as an int (0 Ready, 1 Unknown, 2 Error); accept names too.
function validationOf(spec: FakeProvider): ValidationResult {
  const v = spec.validationResult;
  if (v === 1 || v === 'Unknown') return { result: 'Unknown', message: 'fake store reports Unknown' };
  if (v === 2 || v === 'Error') return { result: 'Error', message: 'fake store reports Error' };
  return { result: 'Valid' };
}

class FakeClient implements SecretsClient {
  constructor(private readonly spec: FakeProvider) {}

  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    const entries = this.spec.data ?? [];
    const match = entries.find((e) => e.key === ref.key && (e.version ?? '') === (ref.version ?? ''));
    if (!match) {
      const what = ref.version ? `key "${ref.key}" version "${ref.version}"` : `key "${ref.key}"`;
      throw new ProviderError('NotFound', `${what} not found in the fake store`);
    }
    if (ref.metadataPolicy === 'Fetch') return { kind: 'map', data: {} };
    return toValue(match);
  }

  async findSecrets(find: FindRef): Promise<Map<string, RemoteValue>> {
    if (find.tags && Object.keys(find.tags).length > 0) {
      throw new ProviderError('Unsupported', 'the fake provider has no tags: find by name or path');
    }
    const nameMatches = findNameMatcher(find);
    const out = new Map<string, RemoteValue>();
    for (const e of this.spec.data ?? []) {
      if (!e.key || (e.version ?? '') !== '') continue;
      if (find.path && !e.key.startsWith(find.path)) continue;
      if (!nameMatches(e.key)) continue;
      out.set(e.key, toValue(e));
    }
    return out;
  }

  async validate(): Promise<ValidationResult> {
    return validationOf(this.spec);
  }

  async close(): Promise<void> {}
}

export const fakeProvider: Provider = {
  name: 'fake',
  capabilities: 'ReadOnly',
  validateSpec(store: StoreInfo): string | undefined {
    const spec = store.provider.fake;
    if (!spec) return 'spec.provider.fake is missing';
    for (const [i, e] of (spec.data ?? []).entries()) {
      if (!e.key) return `spec.provider.fake.data[${i}].key must not be empty`;
    }
    return undefined;
  },
  async connect(store: StoreInfo): Promise<SecretsClient> {
    return new FakeClient(store.provider.fake ?? {});
  },
};
