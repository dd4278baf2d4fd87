// PushSecret into Google Secret Manager, with ESO 2.9's metadata (providers/v1/gcp/
// secretmanager/push_secret.go): labels, annotations, mergePolicy, topics, replication
// (replicationLocations, cmekKeyName). A secret a push creates carries the label managed-by:
// external-secrets. A new version is added only when the latest one holds another value.
//
// Different from ESO: the ownership label is checked for property pushes too (ESO adds its
// label to any secret a property push meets), a property delete removes only that property,
// and labels and annotations are set at creation (ESO creates, then updates them).

import { ProviderError } from '../errors.js';
import {
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  bytesEqual,
  dropProperty,
  hasProperty,
  setProperty,
  isOwned,
  isString,
  isStringList,
  isStringMap,
  jsonEquivalent,
  notOwned,
  oneOf,
  parsePushMetadata,
  pushBytes,
} from '../push.js';
import type { DeleteOutcome, PushOutcome, PushRef, PushRequest, SecretsWriter } from '../types.js';
import { parseKey, secretPath } from './names.js';
import type { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import type { CallOptions } from 'google-gax';

interface GcpMetadata {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  topics: string[];
  mergePolicy: 'Replace' | 'Merge';
  cmekKeyName: string;
  replicationLocation: string;
  replicationLocations: string[];
}

const FIELDS = {
  labels: isStringMap,
  annotations: isStringMap,
  topics: isStringList,
  mergePolicy: oneOf('Replace', 'Merge'),
  cmekKeyName: isString,
  replicationLocation: isString,
  replicationLocations: isStringList,
};

/** What the writer needs of a connected client (GcpsmClient implements it). */
export interface GcpCalls {
  readonly sm: Pick<
    SecretManagerServiceClient,
    | 'getSecret'
    | 'accessSecretVersion'
    | 'createSecret'
    | 'addSecretVersion'
    | 'updateSecret'
    | 'deleteSecret'
  >;
  readonly parent: string;
  call<T>(what: string, fn: (opts: CallOptions) => Promise<T>): Promise<T>;
}

interface RemoteSecret {
  name?: string | null;
  etag?: string | null;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** ESO's buildReplication: user-managed for locations, automatic with a CMEK key, else automatic. */
function replicationOf(m: Partial<GcpMetadata>): object {
  const locations = m.replicationLocations?.length
    ? m.replicationLocations
    : m.replicationLocation
      ? [m.replicationLocation]
      : [];
  const cmek = m.cmekKeyName ? { customerManagedEncryption: { kmsKeyName: m.cmekKeyName } } : {};
  if (locations.length > 0)
    return { userManaged: { replicas: locations.map((location) => ({ location, ...cmek })) } };
  return { automatic: { ...cmek } };
}

export class GcpsmWriter implements SecretsWriter {
  constructor(
    private readonly c: GcpCalls,
    private readonly regional: boolean,
  ) {}

  private async get(path: string, id: string): Promise<RemoteSecret | undefined> {
    try {
      const [s] = await this.c.call(`secret "${id}"`, (o) => this.c.sm.getSecret({ name: path }, o));
      return s as RemoteSecret;
    } catch (e) {
      if (e instanceof ProviderError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  private async latest(path: string, id: string): Promise<Uint8Array | undefined> {
    try {
      const [res] = await this.c.call(`secret "${id}" version "latest"`, (o) =>
        this.c.sm.accessSecretVersion({ name: `${path}/versions/latest` }, o),
      );
      const data = res.payload?.data;
      if (data === null || data === undefined) return new Uint8Array();
      return typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data);
    } catch (e) {
      // No version yet, or the latest is disabled or destroyed: there is nothing to compare.
      if (e instanceof ProviderError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  async push(req: PushRequest): Promise<PushOutcome> {
    const meta = parsePushMetadata<GcpMetadata>('gcpsm', req.metadata, FIELDS);
    if (meta && req.ref.property)
      throw new ProviderError(
        'InvalidRequest',
        'cannot specify metadata and property at the same time (gcpsm)',
      );
    const name = parseKey(req.ref.remoteKey, this.c.parent);
    const path = secretPath(name);
    const id = name.id;
    let secret = await this.get(path, id);
    let outcome: PushOutcome = 'unchanged';
    if (!secret) {
      const labels = { ...(meta?.labels ?? {}), [MANAGED_BY_KEY]: MANAGED_BY_VALUE };
      const [created] = await this.c.call(`secret "${id}"`, (o) =>
        this.c.sm.createSecret(
          {
            parent: name.parent,
            secretId: id,
            secret: {
              labels,
              annotations: meta?.annotations ?? {},
              ...(this.regional ? {} : { replication: replicationOf(meta ?? {}) }),
              ...(meta?.topics?.length ? { topics: meta.topics.map((t) => ({ name: t })) } : {}),
            },
          },
          o,
        ),
      );
      secret = created as RemoteSecret;
      outcome = 'created';
    } else if (!isOwned(secret.labels ?? undefined)) {
      throw notOwned('Secret Manager secret', req.ref, 'label');
    } else if (!req.ref.property) {
      outcome = (await this.metadata(secret, path, id, meta)) ? 'updated' : 'unchanged';
    }
    const old = outcome === 'created' ? undefined : await this.latest(path, id);
    const raw = pushBytes(req.value);
    const next = req.ref.property
      ? encoder.encode(
          setProperty(
            old ? decoder.decode(old) : undefined,
            req.ref.property,
            decoder.decode(raw),
            `secret "${id}"`,
          ),
        )
      : raw;
    if (old && bytesEqual(old, next)) return outcome;
    await this.c.call(`secret "${id}"`, (o) =>
      this.c.sm.addSecretVersion({ parent: path, payload: { data: Buffer.from(next) } }, o),
    );
    return outcome === 'created' ? 'created' : 'updated';
  }

  /** Labels and annotations as metadata wants them (ESO's psBuilder); true if it wrote. */
  private async metadata(
    secret: RemoteSecret,
    path: string,
    id: string,
    meta: Partial<GcpMetadata> | undefined,
  ): Promise<boolean> {
    const have = secret.labels ?? {};
    const labels = {
      ...(meta?.mergePolicy === 'Merge' ? have : {}),
      ...(meta?.labels ?? {}),
      [MANAGED_BY_KEY]: MANAGED_BY_VALUE,
    };
    const annotations = meta?.annotations ?? {};
    if (jsonEquivalent(have, labels) && jsonEquivalent(secret.annotations ?? {}, annotations)) return false;
    await this.c.call(`secret "${id}"`, (o) =>
      this.c.sm.updateSecret(
        {
          secret: { name: path, etag: secret.etag ?? undefined, labels, annotations },
          updateMask: { paths: ['labels', 'annotations'] },
        },
        o,
      ),
    );
    return true;
  }

  async delete(ref: PushRef): Promise<DeleteOutcome> {
    const name = parseKey(ref.remoteKey, this.c.parent);
    const path = secretPath(name);
    const secret = await this.get(path, name.id);
    if (!secret) return 'absent';
    if (!isOwned(secret.labels ?? undefined)) return 'not-owned';
    if (ref.property) {
      const old = await this.latest(path, name.id);
      const text = old ? decoder.decode(old) : undefined;
      if (!hasProperty(text, ref.property)) return 'absent';
      const rest = dropProperty(text, ref.property, `secret "${name.id}"`);
      if (rest !== undefined) {
        await this.c.call(`secret "${name.id}"`, (o) =>
          this.c.sm.addSecretVersion({ parent: path, payload: { data: Buffer.from(rest) } }, o),
        );
        return 'deleted';
      }
    }
    await this.c.call(`secret "${name.id}"`, (o) =>
      this.c.sm.deleteSecret({ name: path, etag: secret.etag ?? undefined }, o),
    );
    return 'deleted';
  }

  async exists(ref: PushRef): Promise<boolean> {
    const name = parseKey(ref.remoteKey, this.c.parent);
    const v = await this.latest(secretPath(name), name.id);
    if (!v) return false;
    return ref.property ? hasProperty(decoder.decode(v), ref.property) : true;
  }
}
