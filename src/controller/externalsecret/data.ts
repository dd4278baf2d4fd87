// Gathers the key → bytes map of one ExternalSecret from its provider(s), in ESO's order:
// dataFrom entries first, then data[] entries (which win on a shared key). Within one
// sync each remote key is fetched once however many entries read it.

import type {
  ExternalSecret,
  ExternalSecretDataFrom,
  ExternalSecretSpec,
  FindRef,
  RemoteRef,
  SourceRef,
} from '../../api/types.js';
import type { LeaseGrant } from '../../providers/generator.js';
import { ProviderError } from '../../providers/errors.js';
import type { RemoteKeyRef, RemoteValue, StoreInfo } from '../../providers/types.js';
import { dataEntryValue, dataFromEntries } from '../../secrets/pipeline.js';
import { extractMap, selectProperty } from '../../secrets/property.js';
import { TemplateBudget, renderKeyTransform } from '../../secrets/templating.js';
import { resolveStore } from '../store/resolve.js';
import type { StoreLookup } from '../store/resolve.js';
import type { DataSource, StoreReader } from '../store/access.js';
import type { GeneratorAccess } from '../generator/access.js';

/** A lease issued during collectData, with the entry that asked for it. */
export interface IssuedLease {
  source: string;
  kind: string;
  name: string;
  grant: LeaseGrant;
}

export interface DataWorld extends StoreLookup {
  source: DataSource;
  generators?: GeneratorAccess;
}

/** Whether any dataFrom entry uses a generator (its values are issued, not read). */
export function usesGenerators(spec: ExternalSecretSpec | undefined): boolean {
  return (spec?.dataFrom ?? []).some((f) => !!f.sourceRef?.generatorRef);
}

/**
 * Generator kinds whose values may come with a lease to revoke: VaultDynamicSecret, GitLab
 * deploy tokens and Grafana tokens, and a ClusterGenerator (which may wrap one; only a GET
 * would tell).
 */
const LEASE_KINDS: ReadonlySet<string> = new Set([
  'VaultDynamicSecret',
  'GitlabDeployToken',
  'Grafana',
  'ClusterGenerator',
]);

/** Whether an ExternalSecret may hold generator leases, so deleting it must revoke them first. */
export function usesLeaseGenerators(spec: ExternalSecretSpec | undefined): boolean {
  return (spec?.dataFrom ?? []).some((f) => LEASE_KINDS.has(f.sourceRef?.generatorRef?.kind ?? ''));
}

/**
 * An ExternalSecret whose every entry names its own source needs no secretStoreRef (ESO v1):
 * e.g. one that only uses generators.
 */
export function needsMainStore(spec: ExternalSecretSpec | undefined): boolean {
  if (spec?.secretStoreRef?.name) return true;
  const entries = [...(spec?.data ?? []), ...(spec?.dataFrom ?? [])];
  return entries.length === 0 || entries.some((e) => !e.sourceRef?.storeRef && !e.sourceRef?.generatorRef);
}

function remoteKeyRef(ref: RemoteRef, where: string, reader: StoreReader): RemoteKeyRef {
  if (!ref.key) throw new ProviderError('InvalidRequest', `${where}.remoteRef.key must be set`);
  const out: RemoteKeyRef = {
    key: ref.key,
    version: ref.version || undefined,
    metadataPolicy: ref.metadataPolicy,
  };
  if (reader.readsProperty && ref.property) out.property = ref.property;
  return out;
}

/** A provider that read the property itself answered with the selected value already. */
const propertyLeft = (property: string | undefined, reader: StoreReader): string | undefined =>
  reader.readsProperty ? undefined : property || undefined;

/**
 * The provider reads of one sync: one reader per store, each remote key (with version and
 * metadata policy) fetched once however many entries read it.
 */
class Reads {
  private readonly readers = new Map<string, Promise<StoreReader>>();
  private readonly memo = new Map<string, Promise<RemoteValue>>();

  constructor(
    private readonly ns: string,
    private readonly store: StoreInfo | undefined,
    private readonly world: DataWorld,
    private readonly maxAgeMs: number,
  ) {}

  reader(sourceRef: SourceRef | undefined, where: string): Promise<StoreReader> {
    if (sourceRef?.generatorRef) {
      // ESO reads generators only through dataFrom: a generator's output is a whole map.
      throw new ProviderError(
        'Unsupported',
        `${where}.sourceRef.generatorRef is only supported in dataFrom (a generator produces a whole map)`,
      );
    }
    let info = this.store;
    if (sourceRef?.storeRef) {
      const r = resolveStore(sourceRef.storeRef, this.ns, this.world);
      if (!r.ok) throw new ProviderError('InvalidRequest', `${where}.sourceRef.storeRef: ${r.message}`);
      info = r.info;
    }
    if (!info) throw new ProviderError('InvalidRequest', `${where} needs spec.secretStoreRef or a sourceRef`);
    const id = `${info.kind}/${info.namespace ?? ''}/${info.name}`;
    let reader = this.readers.get(id);
    if (!reader) {
      reader = this.world.source.reader(info);
      this.readers.set(id, reader);
    }
    return reader;
  }

  get(reader: StoreReader, ref: RemoteKeyRef): Promise<RemoteValue> {
    const k = `${reader.provider}\u0000${ref.key}\u0000${ref.version ?? ''}\u0000${ref.metadataPolicy ?? ''}\u0000${ref.property ?? ''}`;
    let v = this.memo.get(k);
    if (!v) {
      v = reader.get(ref, this.maxAgeMs);
      this.memo.set(k, v);
    }
    return v;
  }

  find(reader: StoreReader, find: FindRef): Promise<Map<string, RemoteValue>> {
    return reader.find(find, this.maxAgeMs);
  }
}

export async function collectData(
  es: ExternalSecret,
  /** The spec.secretStoreRef store; undefined when every entry names its own source. */
  store: StoreInfo | undefined,
  world: DataWorld,
  /** How old a provider answer shared with other ExternalSecrets may be (0: fetch now). */
  maxAgeMs = 0,
  /** Receives every lease issued, also when a later entry fails (the caller revokes them then). */
  issued: IssuedLease[] = [],
  /** The sync's template budget, for rewrite transforms. */
  budget: TemplateBudget = new TemplateBudget(),
): Promise<{ data: Record<string, Uint8Array>; provider: string }> {
  const ns = es.metadata.namespace ?? '';
  const spec = es.spec ?? {};
  const reads = new Reads(ns, store, world, maxAgeMs);
  // A null-prototype map: a remote key "__proto__" must become a Secret key, not a prototype.
  const out = Object.create(null) as Record<string, Uint8Array>;
  let provider = store ? (await reads.reader(undefined, 'spec')).provider : '';

  for (const [i, from] of (spec.dataFrom ?? []).entries()) {
    const where = `dataFrom[${i}]`;
    const raw = await rawEntry(from, where, ns, reads, world, issued);
    provider ||= raw.provider;
    const entries = dataFromEntries(
      raw.data,
      from,
      { key: raw.key, where },
      { transform: (template, k) => renderKeyTransform(`${where}.rewrite.transform`, template, k, budget) },
    );
    // Keys that came out empty are dropped, as ESO does.
    for (const k of Object.keys(entries)) if (k !== '') out[k] = entries[k]!;
  }

  for (const [i, item] of (spec.data ?? []).entries()) {
    const where = `data[${i}]`;
    if (!item.secretKey) throw new ProviderError('InvalidRequest', `${where}.secretKey must be set`);
    const ref = item.remoteRef ?? {};
    const reader = await reads.reader(item.sourceRef, where);
    const keyRef = remoteKeyRef(ref, where, reader);
    const value = await reads.get(reader, keyRef);
    const ctx = { key: keyRef.key, secretKey: item.secretKey, where };
    out[item.secretKey] = dataEntryValue(
      value,
      { ...ref, property: propertyLeft(ref.property, reader) },
      ctx,
    );
  }
  return { data: out, provider };
}

/** One dataFrom entry's raw map: a generator's output, or what a store returned. */
async function rawEntry(
  from: ExternalSecretDataFrom,
  where: string,
  ns: string,
  reads: Reads,
  world: DataWorld,
  issued: IssuedLease[],
): Promise<{ data: Record<string, Uint8Array>; key: string; provider: string }> {
  const gen = from.sourceRef?.generatorRef;
  if (!gen) {
    const reader = await reads.reader(from.sourceRef, where);
    const { raw, key } = await fromEntry(from, reader, where, reads);
    return { data: raw, key, provider: reader.provider };
  }
  if (!world.generators)
    throw new ProviderError(
      'Unsupported',
      `${where}.sourceRef.generatorRef: no generators are available here`,
    );
  const made = await world.generators.generate(ns, gen, where);
  if (made.lease)
    issued.push({ source: where, kind: gen.kind ?? '', name: gen.name ?? '', grant: made.lease });
  return { data: made.data, key: '', provider: made.provider };
}

/** The raw key → bytes map of one dataFrom entry, before rewrite, conversion and decoding. */
async function fromEntry(
  from: ExternalSecretDataFrom,
  reader: StoreReader,
  where: string,
  reads: Reads,
): Promise<{ raw: Record<string, Uint8Array>; key: string }> {
  if (from.extract) {
    const keyRef = remoteKeyRef(from.extract, `${where}.extract`, reader);
    const value = await reads.get(reader, keyRef);
    const ctx = { key: keyRef.key, where };
    return { raw: extractMap(value, ctx, propertyLeft(from.extract.property, reader)), key: keyRef.key };
  }
  if (from.find) {
    const found = await reads.find(reader, from.find);
    const raw = Object.create(null) as Record<string, Uint8Array>;
    for (const [name, value] of found) raw[name] = selectProperty(value, undefined, { key: name, where });
    return { raw, key: '' };
  }
  throw new ProviderError('InvalidRequest', `${where} must set one of extract, find or sourceRef`);
}
