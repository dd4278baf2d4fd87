// The data of ConfigMaps and Secrets as bytes, the one decoding of their base64 and string maps.

import type { ConfigMap, Secret } from '../api/types.js';

/** A Secret as written in a manifest may hold stringData too; the apiserver merges it over data. */
export interface SecretManifest extends Secret {
  stringData?: Record<string, string>;
}

/** A Secret's data (stringData merged over data, as the apiserver stores it). */
export function secretBytes(s: SecretManifest): Record<string, Uint8Array> {
  const out = Object.create(null) as Record<string, Uint8Array>;
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = new Uint8Array(Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = new Uint8Array(Buffer.from(v, 'utf8'));
  return out;
}

/** A ConfigMap's data and binaryData; data wins on a shared key, as templateFrom reads it. */
export function configMapBytes(c: ConfigMap): Record<string, Uint8Array> {
  const out = Object.create(null) as Record<string, Uint8Array>;
  for (const [k, v] of Object.entries(c.binaryData ?? {})) out[k] = new Uint8Array(Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(c.data ?? {})) out[k] = new Uint8Array(Buffer.from(v, 'utf8'));
  return out;
}

/** One ConfigMap key as text: data, else binaryData decoded as UTF-8. */
export function configMapText(c: ConfigMap, key: string): string | undefined {
  const text = c.data?.[key];
  if (text !== undefined) return text;
  const b64 = c.binaryData?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString();
}
