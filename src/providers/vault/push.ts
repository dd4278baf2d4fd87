// PushSecret into Vault/OpenBao KV, with ESO 2.9's semantics (providers/v1/vault/client_push.go)
// made safe against races:
// - ownership: KV v2 keeps ESO's marker in the secret's custom_metadata (managed-by:
//   external-secrets), KV v1 in a `custom_metadata` map inside the data (KV v1 has no metadata);
// - a remote secret without the marker is never written nor deleted (NotOwned);
// - nothing is written when the remote already holds the value (no new version per refresh);
// - a property push merges into the remote JSON object and keeps its other keys;
// - KV v2 creates with cas=0 before it writes the marker, so a secret someone else created a
//   moment ago is refused rather than stamped as ours; `checkAndSet.required` sends the
//   current version with every update.

import { ProviderError } from '../errors.js';
import {
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  describeRef,
  isOwned,
  jsonEquivalent,
  notOwned,
  pushText,
} from '../push.js';
import type { DeleteOutcome, PushOutcome, PushRef, PushRequest, SecretsWriter } from '../types.js';

/** What the writer needs of a connected client (VaultClient implements it). */
export interface KvAccess {
  readonly kvVersion: 'v1' | 'v2';
  readonly casRequired: boolean;
  locateKey(key: string): { mount: string; rest: string };
  apiRequest<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    opts?: { body?: unknown },
  ): Promise<{ data?: T | null }>;
}

/** KV v1 has no metadata: ESO keeps the marker in the data under this key. */
export const KV1_METADATA_KEY = 'custom_metadata';

type Data = Record<string, unknown>;

interface Remote {
  /** The current data, undefined when no readable version exists. */
  data?: Data;
  /** KV v2: the current version (0 when only metadata exists); KV v1: unused. */
  version: number;
  owned: boolean;
  /** The path exists at all (data or, on KV v2, metadata). */
  exists: boolean;
}

const isNotFound = (e: unknown): boolean => e instanceof ProviderError && e.reason === 'NotFound';

function isObject(v: unknown): v is Data {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a push wants the remote data to be (ownership marker not included). */
function wanted(req: PushRequest, current: Data | undefined): Data {
  const text = pushText(req.value);
  if (req.ref.property) return { ...(current ?? {}), [req.ref.property]: text };
  if (req.value.kind === 'map') return JSON.parse(text) as Data;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  // JSON.parse's message could quote the value.
  if (!isObject(parsed))
    throw new ProviderError(
      'InvalidRequest',
      `the value pushed to Vault ${describeRef(req.ref)} is not a JSON object: set remoteRef.property to push it as one field`,
    );
  return parsed;
}

export class VaultWriter implements SecretsWriter {
  constructor(private readonly c: KvAccess) {}

  private paths(ref: PushRef): { data: string; metadata: string } {
    const { mount, rest } = this.c.locateKey(ref.remoteKey);
    return this.c.kvVersion === 'v1'
      ? { data: `${mount}/${rest}`, metadata: `${mount}/${rest}` }
      : { data: `${mount}/data/${rest}`, metadata: `${mount}/metadata/${rest}` };
  }

  private async read(ref: PushRef): Promise<Remote> {
    const p = this.paths(ref);
    if (this.c.kvVersion === 'v1') {
      try {
        const r = await this.c.apiRequest<Data>('GET', p.data);
        const data = { ...(r.data ?? {}) };
        const meta = data[KV1_METADATA_KEY];
        delete data[KV1_METADATA_KEY];
        return { data, version: 0, owned: isObject(meta) && isOwned(meta), exists: true };
      } catch (e) {
        if (isNotFound(e)) return { version: 0, owned: false, exists: false };
        throw e;
      }
    }
    let meta: { current_version?: number; custom_metadata?: Record<string, string> | null } | undefined;
    try {
      meta = (await this.c.apiRequest<NonNullable<typeof meta>>('GET', p.metadata)).data ?? undefined;
    } catch (e) {
      if (isNotFound(e)) return { version: 0, owned: false, exists: false };
      throw e;
    }
    const owned = isOwned(meta?.custom_metadata ?? undefined);
    const version = meta?.current_version ?? 0;
    if (!owned) return { version, owned, exists: true };
    try {
      const r = await this.c.apiRequest<{ data?: Data | null }>('GET', p.data);
      return { data: r.data?.data ?? undefined, version, owned, exists: true };
    } catch (e) {
      // The latest version is deleted or destroyed: the secret is ours, but holds nothing.
      if (isNotFound(e)) return { version, owned, exists: true };
      throw e;
    }
  }

  async push(req: PushRequest): Promise<PushOutcome> {
    if (req.metadata !== undefined && req.metadata !== null)
      throw new ProviderError(
        'InvalidRequest',
        'the vault provider takes no metadata (ESO 2.9 defines none); remove data[].metadata',
      );
    const remote = await this.read(req.ref);
    if (remote.exists && !remote.owned) throw notOwned('Vault secret', req.ref, 'custom_metadata');
    const next = wanted(req, remote.data);
    if (remote.data && jsonEquivalent(remote.data, next)) return 'unchanged';
    const p = this.paths(req.ref);
    if (this.c.kvVersion === 'v1') {
      await this.write(p.data, { ...next, [KV1_METADATA_KEY]: { [MANAGED_BY_KEY]: MANAGED_BY_VALUE } });
      return remote.exists ? 'updated' : 'created';
    }
    // A new secret is created only if it still does not exist (cas 0); an owned one is updated
    // at the version just read when checkAndSet asks for it.
    const cas = !remote.exists ? 0 : this.c.casRequired ? remote.version : undefined;
    await this.write(p.data, { data: next, ...(cas === undefined ? {} : { options: { cas } }) });
    if (!remote.exists)
      await this.write(p.metadata, { custom_metadata: { [MANAGED_BY_KEY]: MANAGED_BY_VALUE } });
    return remote.exists ? 'updated' : 'created';
  }

  private async write(path: string, body: unknown): Promise<void> {
    try {
      await this.c.apiRequest('POST', path, { body });
    } catch (e) {
      if (e instanceof ProviderError && e.reason === 'InvalidRequest' && /check-and-set/i.test(e.message))
        throw new ProviderError(
          'Conflict',
          `Vault refused the write to ${path}: the secret changed since it was read (check-and-set); retrying`,
        );
      throw e;
    }
  }

  async delete(ref: PushRef): Promise<DeleteOutcome> {
    const remote = await this.read(ref);
    if (!remote.exists) return 'absent';
    if (!remote.owned) return 'not-owned';
    const p = this.paths(ref);
    if (ref.property) {
      const rest = { ...(remote.data ?? {}) };
      if (!Object.hasOwn(rest, ref.property)) return 'absent';
      delete rest[ref.property];
      if (Object.keys(rest).length > 0) {
        if (this.c.kvVersion === 'v1')
          await this.write(p.data, { ...rest, [KV1_METADATA_KEY]: { [MANAGED_BY_KEY]: MANAGED_BY_VALUE } });
        else
          await this.write(p.data, {
            data: rest,
            ...(this.c.casRequired ? { options: { cas: remote.version } } : {}),
          });
        return 'deleted';
      }
    }
    // KV v2: the metadata path deletes every version and the metadata with them.
    await this.c.apiRequest('DELETE', p.metadata);
    return 'deleted';
  }

  async exists(ref: PushRef): Promise<boolean> {
    const p = this.paths(ref);
    let data: Data | undefined;
    try {
      const r = await this.c.apiRequest<Data>('GET', p.data);
      data = (this.c.kvVersion === 'v1' ? r.data : (r.data?.data as Data | null | undefined)) ?? undefined;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
    if (!data) return false;
    return ref.property ? Object.hasOwn(data, ref.property) : true;
  }
}
