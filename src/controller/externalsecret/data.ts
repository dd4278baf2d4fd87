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
import { convertKey, decode, checkNullBytes } from '../../secrets/decode.js';
import { extractMap, selectProperty } from '../../secrets/property.js';
import { applyRewrites } from '../../secrets/rewrite.js';
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

  const out: Record<string, Uint8Array> = {};
  const main = await readerFor(undefined, 'spec');

  for (const [i, from] of (spec.dataFrom ?? []).entries()) {
    const where = `dataFrom[${i}]`;
    const reader = await readerFor(from.sourceRef, where);
    const entries = await fromEntry(from, reader, where, fetch, maxAgeMs);
    Object.assign(out, entries);
  }

  for (const [i, item] of (spec.data ?? []).entries()) {
    const where = `data[${i}]`;
    if (!item.secretKey) throw new ProviderError('InvalidRequest', `${where}.secretKey must be set`);
    const ref = item.remoteRef ?? {};
    const reader = await readerFor(item.sourceRef, where);
    const keyRef = remoteKeyRef(ref, where);
    const value = await fetch(reader, keyRef);
    const ctx = { key: keyRef.key, secretKey: item.secretKey };
    let bytes = selectProperty(value, ref.property || undefined, ctx);
    bytes = decode(bytes, ref.decodingStrategy, ctx);
    checkNullBytes(bytes, ref.nullBytePolicy, ctx);
    out[item.secretKey] = bytes;
  }
  return { data: out, provider: main.provider };
}

async function fromEntry(
  from: ExternalSecretDataFrom,
  reader: StoreReader,
  where: string,
  fetch: (reader: StoreReader, ref: RemoteKeyRef) => Promise<RemoteValue>,
  maxAgeMs: number,
): Promise<Record<string, Uint8Array>> {
  let map: Record<string, Uint8Array> = {};
  if (from.extract) {
    const keyRef = remoteKeyRef(from.extract, `${where}.extract`);
    const value = await fetch(reader, keyRef);
    const ctx = { key: keyRef.key };
    const raw = from.extract.property
      ? { value: selectProperty(value, from.extract.property, ctx) }
      : undefined;
    const extracted = raw ? extractMap({ kind: 'bytes', data: raw.value }, ctx) : extractMap(value, ctx);
    for (const [k, v] of Object.entries(extracted)) {
      const bytes = decode(v, from.extract.decodingStrategy, { key: keyRef.key, secretKey: k });
      checkNullBytes(bytes, from.extract.nullBytePolicy, { key: keyRef.key, secretKey: k });
      map[convertKey(k, from.extract.conversionStrategy)] = bytes;
    }
  } else if (from.find) {
    const found = await reader.find(from.find, maxAgeMs);
    for (const [name, value] of found) {
      const ctx = { key: name };
      const bytes = decode(selectProperty(value, undefined, ctx), from.find.decodingStrategy, ctx);
      map[convertKey(name, from.find.conversionStrategy)] = bytes;
    }
  } else if (from.sourceRef?.generatorRef) {
    throw new ProviderError(
      'Unsupported',
      `${where}.sourceRef.generatorRef is not supported by this Syncret version yet`,
    );
  } else {
    throw new ProviderError('InvalidRequest', `${where} must set one of extract, find or sourceRef`);
  }
  if (from.rewrite && from.rewrite.length > 0) map = applyRewrites(map, from.rewrite);
  return map;
}
