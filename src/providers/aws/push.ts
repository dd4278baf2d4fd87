// PushSecret into AWS Secrets Manager and Parameter Store, with ESO 2.9's metadata, defaults
// and ownership tag (providers/v1/aws/{secretsmanager,parameterstore}): every secret or
// parameter a push creates carries the tag managed-by: external-secrets; one without it is
// never written nor deleted. The value is read and compared first: an unchanged one costs no
// write (no new version per refresh). A property sets one field of the remote JSON object
// (a dotted path reaches nested objects, `\.` is a literal dot) and keeps the others.

import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import type { DescribeSecretCommandOutput } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { ProviderError } from '../errors.js';
import {
  MANAGED_BY_KEY,
  parseObject,
  setProperty,
  dropProperty,
  hasProperty,
  MANAGED_BY_VALUE,
  bytesEqual,
  isBool,
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
import type { FieldCheck } from '../push.js';
import type { DeleteOutcome, PushOutcome, PushRef, PushRequest, SecretsWriter } from '../types.js';
import { prefixed, tagMap } from './common.js';
import type { SmApi } from './secretsmanager.js';

/** ESO's version id for the value a push creates a secret with. */
export const INITIAL_VERSION = '00000000-0000-0000-0000-000000000001';
/** ESO's description of what it creates when metadata names none. */
export const DEFAULT_DESCRIPTION = `secret '${MANAGED_BY_KEY}:${MANAGED_BY_VALUE}'`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a writer needs of its reader: the SDK client and the error mapping. */
export interface AwsCalls<Api> {
  readonly api: Api;
  readonly prefix: string;
  readonly signal: AbortSignal;
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- metadata ----

const policyRef: FieldCheck = (v, where) => {
  if (!isObject(v)) return `${where} must be an object`;
  for (const k of Object.keys(v))
    if (!['kind', 'name', 'key'].includes(k)) return `${where}: unknown field "${k}"`;
  if (v.kind !== 'ConfigMap' && v.kind !== 'Secret') return `${where}.kind must be ConfigMap or Secret`;
  if (typeof v.name !== 'string' || typeof v.key !== 'string') return `${where} needs name and key`;
  return undefined;
};

const resourcePolicy: FieldCheck = (v, where) => {
  if (!isObject(v)) return `${where} must be an object`;
  for (const [k, x] of Object.entries(v)) {
    if (k === 'blockPublicPolicy') {
      const p = isBool(x, `${where}.${k}`);
      if (p) return p;
    } else if (k === 'policySourceRef') {
      const p = policyRef(x, `${where}.${k}`);
      if (p) return p;
    } else return `${where}: unknown field "${k}"`;
  }
  return undefined;
};

const noManagedByTag: FieldCheck = (v, where) =>
  isStringMap(v, where) ??
  (isObject(v) && Object.hasOwn(v, MANAGED_BY_KEY)
    ? `${where}: cannot specify a '${MANAGED_BY_KEY}' tag`
    : undefined);

interface SmMetadata {
  tags: Record<string, string>;
  description: string;
  secretPushFormat: 'string' | 'binary';
  kmsKeyId: string;
  resourcePolicy: {
    blockPublicPolicy?: boolean;
    policySourceRef?: { kind: 'ConfigMap' | 'Secret'; name: string; key: string };
  };
  replicationLocations: string[];
}

const SM_FIELDS = {
  tags: noManagedByTag,
  description: isString,
  secretPushFormat: oneOf('string', 'binary'),
  kmsKeyId: isString,
  resourcePolicy,
  replicationLocations: isStringList,
};

const withOwner = (tags: Record<string, string> | undefined): Record<string, string> => ({
  ...(tags ?? {}),
  [MANAGED_BY_KEY]: MANAGED_BY_VALUE,
});

const tagList = (m: Record<string, string>) => Object.entries(m).map(([Key, Value]) => ({ Key, Value }));

/** Tag keys to remove and tags to set so that `have` becomes `want` (managed-by included). */
export function tagDiff(have: Record<string, string>, want: Record<string, string>) {
  const remove = Object.keys(have).filter((k) => !Object.hasOwn(want, k));
  const set = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  return { remove, set };
}

// ---- Secrets Manager ----

export class SecretsManagerWriter implements SecretsWriter {
  constructor(
    private readonly c: AwsCalls<SmApi>,
    private readonly deletion: { forceDeleteWithoutRecovery?: boolean; recoveryWindowInDays?: number },
  ) {}

  /** One SDK call (a command of this client's service), errors mapped naming `what`. */
  private send<T>(what: string, cmd: object): Promise<T> {
    const send = this.c.api.send.bind(this.c.api) as (c: object, o: object) => Promise<unknown>;
    return this.c.call(what, () => send(cmd, { abortSignal: this.c.signal }) as Promise<T>);
  }

  private async describe(id: string): Promise<DescribeSecretCommandOutput | undefined> {
    try {
      return await this.send<DescribeSecretCommandOutput>(
        `secret "${id}"`,
        new DescribeSecretCommand({ SecretId: id }),
      );
    } catch (e) {
      if (e instanceof ProviderError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  private async current(
    id: string,
  ): Promise<{ bytes: Uint8Array; text: string; isString: boolean } | undefined> {
    try {
      const out = await this.send<{ SecretString?: string; SecretBinary?: Uint8Array }>(
        `secret "${id}"`,
        new GetSecretValueCommand({ SecretId: id }),
      );
      if (out.SecretString !== undefined)
        return { bytes: encoder.encode(out.SecretString), text: out.SecretString, isString: true };
      if (out.SecretBinary !== undefined)
        return { bytes: out.SecretBinary, text: decoder.decode(out.SecretBinary), isString: false };
      return undefined;
    } catch (e) {
      if (e instanceof ProviderError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }

  async push(req: PushRequest): Promise<PushOutcome> {
    const meta = parsePushMetadata<SmMetadata>('aws (SecretsManager)', req.metadata, SM_FIELDS) ?? {};
    const id = prefixed(this.c.prefix, req.ref.remoteKey);
    const what = `secret "${id}"`;
    const described = await this.describe(id);
    if (described && !isOwned(tagMap(described.Tags)))
      throw notOwned('AWS Secrets Manager secret', { ...req.ref, remoteKey: id }, 'tag');
    const hasValue = described && Object.keys(described.VersionIdsToStages ?? {}).length > 0;
    const old = hasValue ? await this.current(id) : undefined;
    const raw = pushBytes(req.value);
    const value = req.ref.property
      ? encoder.encode(setProperty(old?.text, req.ref.property, decoder.decode(raw), what))
      : raw;
    const asString = meta.secretPushFormat === 'string';
    const payload = asString ? { SecretString: decoder.decode(value) } : { SecretBinary: value };
    if (!described) {
      const kms = meta.kmsKeyId || 'alias/aws/secretsmanager';
      const created = await this.send<{ ARN?: string }>(
        what,
        new CreateSecretCommand({
          Name: id,
          ...payload,
          Tags: tagList(withOwner(meta.tags)),
          Description: meta.description || DEFAULT_DESCRIPTION,
          ClientRequestToken: INITIAL_VERSION,
          KmsKeyId: kms,
          ...(meta.replicationLocations?.length
            ? { AddReplicaRegions: meta.replicationLocations.map((Region) => ({ Region, KmsKeyId: kms })) }
            : {}),
        }),
      );
      await this.policy(created.ARN ?? id, meta, what, true, req.readKey);
      return 'created';
    }
    let wrote = await this.tags(id, tagMap(described.Tags), meta);
    wrote = (await this.policy(id, meta, what, false, req.readKey)) || wrote;
    if (old && bytesEqual(old.bytes, value)) return wrote ? 'updated' : 'unchanged';
    await this.send(
      what,
      new PutSecretValueCommand({
        SecretId: id,
        ...payload,
        ClientRequestToken: old ? randomUUID() : INITIAL_VERSION,
      }),
    );
    return 'updated';
  }

  /** ESO syncs tags only when metadata names some; then the others (but managed-by) go. */
  private async tags(id: string, have: Record<string, string>, meta: Partial<SmMetadata>): Promise<boolean> {
    if (!meta.tags || Object.keys(meta.tags).length === 0) return false;
    const { remove, set } = tagDiff(have, withOwner(meta.tags));
    if (remove.length > 0)
      await this.send(`secret "${id}"`, new UntagResourceCommand({ SecretId: id, TagKeys: remove }));
    if (Object.keys(set).length > 0)
      await this.send(`secret "${id}"`, new TagResourceCommand({ SecretId: id, Tags: tagList(set) }));
    return remove.length > 0 || Object.keys(set).length > 0;
  }

  /**
   * The resource policy, when metadata names one: put when it differs from the current one.
   * Syncret leaves a policy alone when metadata names none (ESO deletes it at every push).
   */
  private async policy(
    id: string,
    meta: Partial<SmMetadata>,
    what: string,
    created: boolean,
    readKey: PushRequest['readKey'],
  ): Promise<boolean> {
    const ref = meta.resourcePolicy?.policySourceRef;
    if (!ref) return false;
    if (!readKey)
      throw new ProviderError('Unsupported', 'resourcePolicy.policySourceRef cannot be read here');
    const doc = await readKey(ref.kind, ref.name, ref.key);
    if (!doc.trim()) {
      if (created) return false;
      await this.send(what, new DeleteResourcePolicyCommand({ SecretId: id }));
      return true;
    }
    const want = parseObject(doc, `resourcePolicy ${ref.kind} "${ref.name}" key "${ref.key}"`);
    if (!created) {
      const cur = await this.send<{ ResourcePolicy?: string }>(
        what,
        new GetResourcePolicyCommand({ SecretId: id }),
      );
      if (
        cur.ResourcePolicy &&
        jsonEquivalent(parseObject(cur.ResourcePolicy, 'the current resource policy'), want)
      )
        return false;
    }
    await this.send(
      what,
      new PutResourcePolicyCommand({
        SecretId: id,
        ResourcePolicy: doc,
        ...(meta.resourcePolicy?.blockPublicPolicy !== undefined
          ? { BlockPublicPolicy: meta.resourcePolicy.blockPublicPolicy }
          : {}),
      }),
    );
    return true;
  }

  async delete(ref: PushRef): Promise<DeleteOutcome> {
    const id = prefixed(this.c.prefix, ref.remoteKey);
    const what = `secret "${id}"`;
    const described = await this.describe(id);
    if (!described || described.DeletedDate) return 'absent';
    if (!isOwned(tagMap(described.Tags))) return 'not-owned';
    if (ref.property) {
      const old = await this.current(id);
      if (!old || !hasProperty(old.text, ref.property)) return 'absent';
      const rest = dropProperty(old.text, ref.property, what);
      if (rest !== undefined) {
        await this.send(
          what,
          new PutSecretValueCommand({
            SecretId: id,
            ...(old.isString ? { SecretString: rest } : { SecretBinary: encoder.encode(rest) }),
            ClientRequestToken: randomUUID(),
          }),
        );
        return 'deleted';
      }
    }
    const d = this.deletion;
    await this.send(
      what,
      new DeleteSecretCommand({
        SecretId: described.ARN ?? id,
        ...(d.forceDeleteWithoutRecovery ? { ForceDeleteWithoutRecovery: true } : {}),
        ...(d.recoveryWindowInDays && d.recoveryWindowInDays > 0
          ? { RecoveryWindowInDays: d.recoveryWindowInDays }
          : {}),
      }),
    );
    return 'deleted';
  }

  async exists(ref: PushRef): Promise<boolean> {
    const id = prefixed(this.c.prefix, ref.remoteKey);
    const cur = await this.current(id);
    if (!cur) return false;
    return ref.property ? hasProperty(cur.text, ref.property) : true;
  }
}
