// What one PushSecret pushes to one store, as ESO 2.9 expands it
// (pkg/controllers/pushsecret/pushsecret_controller.go): dataTo entries that target the store
// (by name, or by label selector over the store's labels) expand into one entry per matched key
// (rewritten into its remote key) or one bundle of all matched keys; explicit data[] entries
// win over dataTo for the same source key; two entries writing one remote location are refused.
// Pure functions over the spec, the store and the source data.

import type {
  PushConversionStrategy,
  PushSecretData,
  PushSecretDataTo,
  PushSecretSpec,
  PushSecretStoreRef,
} from '../../api/types.js';
import type { PushRef, PushRequest, PushValue } from '../../providers/types.js';
import { MatchMeter } from '../../regexp/index.js';
import { SecretDataError, quoteName } from '../../secrets/errors.js';
import { compileGoRegexp, renameKeys } from '../../secrets/rewrite.js';
import { renderKeyTransform } from '../../secrets/templating.js';
import { matchesSelector } from '../store/resolve.js';

/** One push of one store: the entry as status records it, where it goes and what it writes. */
export interface PushEntry {
  data: PushSecretData;
  ref: PushRef;
  value: PushValue;
  metadata?: unknown;
  /** status.syncedPushSecrets' inner key: remoteKey, or remoteKey/property. */
  statusKey: string;
  /** The source's type, labels and annotations (after the template), for the kubernetes provider. */
  source?: PushRequest['source'];
}

/** A resolved store as the expansion needs it. */
export interface PushStore {
  kind: 'SecretStore' | 'ClusterSecretStore';
  name: string;
  labels: Record<string, string>;
}

/** ESO's key of a store in status.syncedPushSecrets. */
export function storeStatusKey(s: Pick<PushStore, 'kind' | 'name'>): string {
  return `${s.kind}/${s.name}`;
}

/** ESO's statusRef: remoteKey, or remoteKey/property. */
export function statusKeyOf(d: PushSecretData): string {
  const r = d.match?.remoteRef;
  return r?.property ? `${r.remoteKey ?? ''}/${r.property}` : (r?.remoteKey ?? '');
}

const UNICODE_ESCAPE = /_U([0-9a-fA-F]{4,5})_/g;

/** ReverseUnicode: `_U002e_` back to `.`; None leaves the key as it is. */
export function reverseKey(key: string, strategy: PushConversionStrategy | undefined): string {
  if (strategy !== 'ReverseUnicode') return key;
  return key.replace(UNICODE_ESCAPE, (whole, hex: string) => {
    const cp = Number.parseInt(hex, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
  });
}

function reverseKeys(
  data: Record<string, Uint8Array>,
  strategy: PushConversionStrategy | undefined,
): Record<string, Uint8Array> {
  if (strategy !== 'ReverseUnicode') return data;
  const out = Object.create(null) as Record<string, Uint8Array>;
  for (const [k, v] of Object.entries(data)) {
    const key = reverseKey(k, strategy);
    if (Object.hasOwn(out, key))
      throw new SecretDataError('InvalidKey', `secret key collision during conversion: ${quoteName(key)}`);
    out[key] = v;
  }
  return out;
}

function kindOf(ref: PushSecretStoreRef | undefined): 'SecretStore' | 'ClusterSecretStore' {
  return ref?.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
}

/** Whether a dataTo entry targets `store` (by name, else by label selector). */
export function dataToTargets(d: PushSecretDataTo, store: PushStore): boolean {
  const ref = d.storeRef;
  if (!ref) return false;
  if (kindOf(ref) !== store.kind) return false;
  if (ref.name) return ref.name === store.name;
  return !!ref.labelSelector && matchesSelector(store.labels, ref.labelSelector);
}

/** Spec checks ESO makes before any push (validateDataToStoreRefs). */
export function dataToProblem(spec: PushSecretSpec): string | undefined {
  for (const [i, d] of (spec.dataTo ?? []).entries()) {
    const ref = d.storeRef;
    if (!ref) return `dataTo[${i}]: storeRef is required`;
    if (!ref.name && !ref.labelSelector) return `dataTo[${i}]: storeRef must have name or labelSelector`;
    if (d.remoteKey && (d.rewrite?.length ?? 0) > 0)
      return `dataTo[${i}]: remoteKey and rewrite are mutually exclusive: rewrite is only supported in per-key mode (without remoteKey)`;
    if (
      ref.name &&
      !(spec.secretStoreRefs ?? []).some((s) => s.name === ref.name && kindOf(s) === kindOf(ref))
    )
      return `dataTo[${i}]: storeRef "${ref.name}" not found in secretStoreRefs`;
  }
  return undefined;
}

/** A dataTo label selector that matches no resolved store is a mistake, not a no-op (ESO). */
export function unmatchedDataTo(spec: PushSecretSpec, stores: readonly PushStore[]): string | undefined {
  for (const [i, d] of (spec.dataTo ?? []).entries()) {
    if (d.storeRef?.name || !d.storeRef?.labelSelector) continue;
    if (!stores.some((s) => dataToTargets(d, s)))
      return `dataTo[${i}]: labelSelector does not match any store in secretStoreRefs`;
  }
  return undefined;
}

interface Expanded {
  entry: PushSecretData;
  /** The original (unconverted) source key, '' for a bundle. */
  sourceKey: string;
  /** A bundle's matched keys (converted), pushed as one JSON object. */
  bundle?: Record<string, Uint8Array>;
}

function expandDataTo(d: PushSecretDataTo, i: number, source: Record<string, Uint8Array>): Expanded[] {
  const where = `dataTo[${i}]`;
  const converted = reverseKeys(source, d.conversionStrategy);
  const original = new Map<string, string>();
  for (const k of Object.keys(source)) original.set(reverseKey(k, d.conversionStrategy), k);
  let keys = Object.keys(converted).sort();
  const pattern = d.match?.regexp;
  if (pattern) {
    const re = compileGoRegexp(pattern, `${where}.match.regexp`);
    const meter = new MatchMeter((n, ms) => {
      throw new SecretDataError(
        'InvalidRegexp',
        `${where}.match.regexp: matching ${n} keys took over ${ms} ms (the operator's limit): use a simpler pattern`,
      );
    });
    keys = keys.filter((k) => meter.time(() => re.matchString(k)));
  }
  if (keys.length === 0) return [];
  const base = { metadata: d.metadata, conversionStrategy: 'None' as const };
  if (d.remoteKey) {
    const bundle = Object.create(null) as Record<string, Uint8Array>;
    for (const k of keys) bundle[k] = converted[k]!;
    return [
      {
        entry: { match: { secretKey: '', remoteRef: { remoteKey: d.remoteKey } }, ...base },
        sourceKey: '',
        bundle,
      },
    ];
  }
  const identity = Object.fromEntries(keys.map((k) => [k, k]));
  const renamed = renameKeys(identity, d.rewrite ?? [], {
    where,
    transform: (template, key) => renderKeyTransform(`${where}.rewrite.transform`, template, key),
  });
  // renameKeys renames the map's keys; its values still name the key each came from.
  return Object.entries(renamed)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([remoteKey, from]) => {
      if (!remoteKey)
        throw new SecretDataError(
          'InvalidKey',
          `${where}: empty remote key produced for source key ${quoteName(from)}`,
        );
      const sourceKey = original.get(from) ?? from;
      return { entry: { match: { secretKey: sourceKey, remoteRef: { remoteKey } }, ...base }, sourceKey };
    });
}

/** The explicit entry's source key before conversion (ESO's resolveOriginalKey). */
function originalKey(d: PushSecretData, source: Record<string, Uint8Array>): string {
  const key = d.match?.secretKey ?? '';
  if (d.conversionStrategy !== 'ReverseUnicode') return key;
  return Object.keys(source).find((k) => reverseKey(k, 'ReverseUnicode') === key) ?? key;
}

function valueOf(e: Expanded, source: Record<string, Uint8Array>, where: string): PushValue {
  if (e.bundle) return { kind: 'map', data: e.bundle };
  const data = reverseKeys(source, e.entry.conversionStrategy);
  const key = e.entry.match?.secretKey ?? '';
  if (!key) return { kind: 'map', data };
  const v = Object.hasOwn(data, key) ? data[key] : undefined;
  if (v === undefined)
    throw new SecretDataError(
      'KeyNotFound',
      `${where}: secret key ${quoteName(key)} does not exist in the source`,
    );
  return { kind: 'bytes', data: v };
}

/**
 * The entries to push to `store` from `source` (the Secret's data after the template).
 * Throws SecretDataError naming the entry (keys, never values).
 */
export function entriesFor(
  spec: PushSecretSpec,
  store: PushStore,
  source: Record<string, Uint8Array>,
  meta?: PushRequest['source'],
): PushEntry[] {
  const fromDataTo: Expanded[] = [];
  const remoteOwner = new Map<string, string>();
  for (const [i, d] of (spec.dataTo ?? []).entries()) {
    if (!dataToTargets(d, store)) continue;
    for (const x of expandDataTo(d, i, source)) {
      const rk = x.entry.match?.remoteRef?.remoteKey ?? '';
      const prev = remoteOwner.get(rk);
      if (prev)
        throw new SecretDataError(
          'InvalidKey',
          `dataTo[${i}]: duplicate remote key ${quoteName(rk)} from source key ${quoteName(x.sourceKey || '(bundle)')} (conflicts with ${prev})`,
        );
      remoteOwner.set(rk, `dataTo[${i}]:${x.sourceKey || '(bundle)'}`);
      fromDataTo.push(x);
    }
  }
  const explicit = (spec.data ?? []).map((entry) => ({ entry, sourceKey: originalKey(entry, source) }));
  const explicitKeys = new Set(explicit.map((x) => x.sourceKey));
  const all: (Expanded & { where: string })[] = [
    ...fromDataTo.filter((x) => !explicitKeys.has(x.sourceKey)).map((x) => ({ ...x, where: 'dataTo' })),
    ...explicit.map((x, i) => ({ ...x, where: `data[${i}]` })),
  ];
  const seen = new Map<string, string>();
  return all.map((x) => {
    const statusKey = statusKeyOf(x.entry);
    const r = x.entry.match?.remoteRef;
    const other = seen.get(statusKey);
    if (other !== undefined)
      throw new SecretDataError(
        'InvalidKey',
        `duplicate remote key ${quoteName(r?.remoteKey ?? '')}${r?.property ? ` with property ${quoteName(r.property)}` : ''}: source keys ${quoteName(other)} and ${quoteName(x.sourceKey)} both map to the same destination`,
      );
    seen.set(statusKey, x.sourceKey);
    return {
      data: x.entry,
      ref: { remoteKey: r?.remoteKey ?? '', ...(r?.property ? { property: r.property } : {}) },
      value: valueOf(x, source, x.where),
      metadata: x.entry.metadata,
      statusKey,
      ...(meta ? { source: meta } : {}),
    };
  });
}
