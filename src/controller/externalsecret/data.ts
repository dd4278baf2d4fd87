// Gathers the key → bytes map of one ExternalSecret from its provider(s), in ESO's order:
// dataFrom entries first, then data[] entries (which win on a shared key). Within one
// sync each remote key is fetched once however many entries read it.

import type {
  ExternalSecret,
  ExternalSecretDataFrom,
  FindRef,
  RemoteRef,
  SourceRef,
} from '../../api/types.js';
import { ProviderError } from '../../providers/errors.js';
import type { RemoteKeyRef, RemoteValue, StoreInfo } from '../../providers/types.js';
import { dataEntryValue, dataFromEntries } from '../../secrets/pipeline.js';
import { extractMap, selectProperty } from '../../secrets/property.js';
import { renderKeyTransform } from '../../secrets/templating.js';
import { resolveStore } from '../stores.js';
import type { StoreLookup } from '../stores.js';

export interface StoreReader {
  provider: string;
  /** maxAgeMs > 0 allows the answer of an identical call started at most that long ago. */
  get(ref: RemoteKeyRef, maxAgeMs?: number): Promise<RemoteValue>;
  find(find: FindRef, maxAgeMs?: number): Promise<Map<string, RemoteValue>>;
}

export interface DataSource {
  reader(store: StoreInfo): Promise<StoreReader>;
}

export interface DataWorld extends StoreLookup {
  source: DataSource;
}

function remoteKeyRef(ref: RemoteRef, where: string): RemoteKeyRef {
  if (!ref.key) throw new ProviderError('InvalidRequest', `${where}.remoteRef.key must be set`);
  return { key: ref.key, version: ref.version || undefined, metadataPolicy: ref.metadataPolicy };
}

export async function collectData(
  es: ExternalSecret,
  store: StoreInfo,
  world: DataWorld,
  /** How old a provider answer shared with other ExternalSecrets may be (0: fetch now). */
  maxAgeMs = 0,
): Promise<{ data: Record<string, Uint8Array>; provider: string }> {
  const ns = es.metadata.namespace ?? '';
  const spec = es.spec ?? {};
  const readers = new Map<string, Promise<StoreReader>>();
  const memo = new Map<string, Promise<RemoteValue>>();

  const readerFor = (sourceRef: SourceRef | undefined, where: string): Promise<StoreReader> => {
    if (sourceRef?.generatorRef) {
      throw new ProviderError(
        'Unsupported',
        `${where}.sourceRef.generatorRef is not supported by this Syncret version yet`,
      );
    }
    let info = store;
    if (sourceRef?.storeRef) {
      const r = resolveStore(sourceRef.storeRef, ns, world);
      if (!r.ok) throw new ProviderError('InvalidRequest', `${where}.sourceRef.storeRef: ${r.message}`);
      info = r.info;
    }
    const id = `${info.kind}/${info.namespace ?? ''}/${info.name}`;
    let reader = readers.get(id);
    if (!reader) {
      reader = world.source.reader(info);
      readers.set(id, reader);
    }
    return reader;
  };

  const fetch = async (reader: StoreReader, ref: RemoteKeyRef): Promise<RemoteValue> => {
    const k = `${reader.provider}\u0000${ref.key}\u0000${ref.version ?? ''}\u0000${ref.metadataPolicy ?? ''}`;
    let v = memo.get(k);
    if (!v) {
      v = reader.get(ref, maxAgeMs);
      memo.set(k, v);
    }
    return v;
  };

  // A null-prototype map: a remote key "__proto__" must become a Secret key, not a prototype.
  const out = Object.create(null) as Record<string, Uint8Array>;
  const main = await readerFor(undefined, 'spec');

  for (const [i, from] of (spec.dataFrom ?? []).entries()) {
    const where = `dataFrom[${i}]`;
    const reader = await readerFor(from.sourceRef, where);
    const { raw, key } = await fromEntry(from, reader, where, fetch, maxAgeMs);
    const entries = dataFromEntries(
      raw,
      from,
      { key, where },
      {
        transform: (template, k) => renderKeyTransform(`${where}.rewrite.transform`, template, k),
      },
    );
    // Keys that came out empty are dropped, as ESO does.
    for (const k of Object.keys(entries)) if (k !== '') out[k] = entries[k]!;
  }

  for (const [i, item] of (spec.data ?? []).entries()) {
    const where = `data[${i}]`;
    if (!item.secretKey) throw new ProviderError('InvalidRequest', `${where}.secretKey must be set`);
    const ref = item.remoteRef ?? {};
    const reader = await readerFor(item.sourceRef, where);
    const keyRef = remoteKeyRef(ref, where);
    const value = await fetch(reader, keyRef);
    out[item.secretKey] = dataEntryValue(value, ref, { key: keyRef.key, secretKey: item.secretKey, where });
  }
  return { data: out, provider: main.provider };
}

/** The raw key → bytes map of one dataFrom entry, before rewrite, conversion and decoding. */
async function fromEntry(
  from: ExternalSecretDataFrom,
  reader: StoreReader,
  where: string,
  fetch: (reader: StoreReader, ref: RemoteKeyRef) => Promise<RemoteValue>,
  maxAgeMs: number,
): Promise<{ raw: Record<string, Uint8Array>; key: string }> {
  if (from.extract) {
    const keyRef = remoteKeyRef(from.extract, `${where}.extract`);
    const value = await fetch(reader, keyRef);
    const ctx = { key: keyRef.key, where };
    return { raw: extractMap(value, ctx, from.extract.property || undefined), key: keyRef.key };
  }
  if (from.find) {
    const found = await reader.find(from.find, maxAgeMs);
    const raw = Object.create(null) as Record<string, Uint8Array>;
    for (const [name, value] of found) raw[name] = selectProperty(value, undefined, { key: name, where });
    return { raw, key: '' };
  }
  if (from.sourceRef?.generatorRef) {
    throw new ProviderError(
      'Unsupported',
      `${where}.sourceRef.generatorRef is not supported by this Syncret version yet`,
    );
  }
  throw new ProviderError('InvalidRequest', `${where} must set one of extract, find or sourceRef`);
}
