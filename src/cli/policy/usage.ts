// What each store identity reads, from manifests: every data[] and dataFrom[] entry of the
// ExternalSecrets and ClusterExternalSecrets, resolved to the store (or VaultDynamicSecret
// generator) it goes to, as the operator resolves it (the entry's sourceRef, else
// spec.secretStoreRef; a SecretStore in the requester's namespace). The policy writers
// (vault.ts, aws.ts, kubernetes.ts) turn these accesses into rules.

import type {
  ClusterExternalSecret,
  ExternalSecret,
  ExternalSecretSpec,
  FindRef,
  KubeObject,
  LabelSelector,
  SecretStore,
  StoreRef,
} from '../../api/types.js';
import type { VaultDynamicSecretSpec } from '../../api/providers/vault.js';
import { matchesSelector } from '../../controller/store/resolve.js';

/** A read one manifest entry needs, and which entry that is (for the policy's comments). */
export type Access =
  | { op: 'get'; key: string; version?: string; metadata: boolean; by: string }
  | { op: 'find'; find: FindRef; by: string }
  | { op: 'generate'; path: string; method: string; leases: boolean; by: string };

/** Whose credentials a policy is for: a store, or a VaultDynamicSecret (its own provider). */
export interface Identity {
  kind: 'SecretStore' | 'ClusterSecretStore' | 'VaultDynamicSecret';
  namespace?: string;
  name: string;
  /** spec.provider of the store, or the generator's spec.provider wrapped as { vault }. */
  provider: Record<string, unknown>;
  accesses: Access[];
}

export interface Manifests {
  externalSecrets: ExternalSecret[];
  clusterExternalSecrets: ClusterExternalSecret[];
  stores: SecretStore[];
  generators: (KubeObject & { spec?: VaultDynamicSecretSpec })[];
  namespaces: KubeObject[];
}

export interface Usage {
  identities: Identity[];
  /** Entries that could not be resolved (missing store, unsupported source): told, not fatal. */
  warnings: string[];
}

export function identityLabel(id: Pick<Identity, 'kind' | 'namespace' | 'name'>): string {
  return id.namespace ? `${id.kind} ${id.namespace}/${id.name}` : `${id.kind} ${id.name}`;
}

/** ExternalSecrets as they would be created: each ClusterExternalSecret in each namespace it selects. */
export function requesters(
  m: Manifests,
  warnings: string[],
): { spec: ExternalSecretSpec; ns: string; who: string }[] {
  const out = m.externalSecrets.map((es) => ({
    spec: es.spec ?? {},
    ns: es.metadata.namespace ?? 'default',
    who: `ExternalSecret ${es.metadata.namespace ?? 'default'}/${es.metadata.name ?? ''}`,
  }));
  for (const ces of m.clusterExternalSecrets) {
    const spec = ces.spec?.externalSecretSpec ?? {};
    const who = `ClusterExternalSecret ${ces.metadata.name ?? ''}`;
    const selectors: LabelSelector[] = [
      ...(ces.spec?.namespaceSelectors ?? []),
      ...(ces.spec?.namespaceSelector ? [ces.spec.namespaceSelector] : []),
    ];
    const names = new Set(ces.spec?.namespaces ?? []);
    for (const n of m.namespaces)
      if (selectors.some((s) => matchesSelector(n.metadata.labels ?? {}, s)))
        names.add(n.metadata.name ?? '');
    if (names.size === 0) {
      // Its stores are still known when they are ClusterSecretStores: the namespace only
      // picks a SecretStore.
      warnings.push(
        `${who}: selects no namespace among the manifests' Namespaces; entries that name a SecretStore are left out`,
      );
      out.push({ spec, ns: '', who });
      continue;
    }
    for (const ns of [...names].sort()) out.push({ spec, ns, who: `${who} (in ${ns})` });
  }
  return out;
}

/** The identities met so far, each found in the manifests once (a miss is a warning). */
class Identities {
  private readonly ids = new Map<string, Identity>();

  constructor(
    private readonly m: Manifests,
    private readonly warnings: string[],
  ) {}

  all(): Identity[] {
    return [...this.ids.values()].sort((a, b) => cmp(identityLabel(a), identityLabel(b)));
  }

  store(ref: StoreRef | undefined, ns: string, where: string): Identity | undefined {
    const kind = ref?.kind ?? 'SecretStore';
    const name = ref?.name ?? '';
    if (kind !== 'SecretStore' && kind !== 'ClusterSecretStore') return undefined;
    if (kind === 'SecretStore' && !ns) return undefined;
    const key = kind === 'SecretStore' ? `${kind}/${ns}/${name}` : `${kind}/${name}`;
    const known = this.ids.get(key);
    if (known) return known;
    const store = this.m.stores.find(
      (s) =>
        s.kind === kind &&
        s.metadata.name === name &&
        (kind === 'ClusterSecretStore' || (s.metadata.namespace ?? 'default') === ns),
    );
    if (!store) {
      this.warnings.push(
        `${where}: ${kind} "${name}"${kind === 'SecretStore' ? ` in ${ns}` : ''} is not in the manifests`,
      );
      return undefined;
    }
    const id: Identity = {
      kind,
      ...(kind === 'SecretStore' ? { namespace: ns } : {}),
      name,
      provider: (store.spec?.provider ?? {}) as Record<string, unknown>,
      accesses: [],
    };
    this.ids.set(key, id);
    return id;
  }

  /** A VaultDynamicSecret: its own Vault login, and its one call. */
  generator(name: string, ns: string, where: string): void {
    const key = `VaultDynamicSecret/${ns}/${name}`;
    if (this.ids.has(key)) return;
    const g = this.m.generators.find(
      (x) =>
        x.kind === 'VaultDynamicSecret' &&
        x.metadata.name === name &&
        (x.metadata.namespace ?? 'default') === ns,
    );
    if (!g) {
      this.warnings.push(`${where}: VaultDynamicSecret "${name}" in ${ns} is not in the manifests`);
      return;
    }
    this.ids.set(key, {
      kind: 'VaultDynamicSecret',
      namespace: ns,
      name,
      provider: { vault: g.spec?.provider ?? {} },
      accesses: [
        {
          op: 'generate',
          path: g.spec?.path ?? '',
          method: (g.spec?.method || 'GET').toUpperCase(),
          leases: true,
          by: `VaultDynamicSecret ${ns}/${name}`,
        },
      ],
    });
  }
}

export function collectUsage(m: Manifests): Usage {
  const warnings: string[] = [];
  const ids = new Identities(m, warnings);
  for (const r of requesters(m, warnings)) {
    const spec = r.spec;
    (spec.data ?? []).forEach((d, i) => {
      const where = `${r.who} spec.data[${i}]`;
      const id = ids.store(d.sourceRef?.storeRef ?? spec.secretStoreRef, r.ns, where);
      if (!id || !d.remoteRef?.key) return;
      id.accesses.push(getAccess(d.remoteRef, where));
    });
    (spec.dataFrom ?? []).forEach((f, i) => {
      const where = `${r.who} spec.dataFrom[${i}]`;
      const gen = f.sourceRef?.generatorRef;
      if (gen) {
        if (gen.kind === 'VaultDynamicSecret') ids.generator(gen.name ?? '', r.ns, where);
        else warnings.push(`${where}: ${gen.kind} generators need no store policy here (not covered)`);
        return;
      }
      const id = ids.store(f.sourceRef?.storeRef ?? spec.secretStoreRef, r.ns, where);
      if (!id) return;
      if (f.extract?.key) id.accesses.push(getAccess(f.extract, where));
      else if (f.find) id.accesses.push({ op: 'find', find: f.find, by: where });
    });
  }
  return { identities: ids.all(), warnings: [...new Set(warnings)].sort(cmp) };
}

function getAccess(ref: { key?: string; version?: string; metadataPolicy?: string }, by: string): Access {
  return {
    op: 'get',
    key: ref.key ?? '',
    ...(ref.version ? { version: ref.version } : {}),
    metadata: ref.metadataPolicy === 'Fetch',
    by,
  };
}

/** Byte order, so the output is the same everywhere (no locale). */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
