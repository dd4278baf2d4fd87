// PushSecret into AWS Systems Manager Parameter Store, with ESO 2.9's metadata and defaults
// (providers/v1/aws/parameterstore): type String, tier Standard, KMS key alias/aws/ssm for a
// SecureString, description "secret 'managed-by:external-secrets'", and the tag managed-by:
// external-secrets on every parameter a push creates. A whole Secret is pushed as JSON with
// base64 values, or plain strings with encodeAsDecoded, exactly as ESO encodes it, so values
// pushed by ESO compare equal after a migration. Different from ESO, which ignores it, a
// property sets one field of the parameter's JSON object and keeps the others.

import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  RemoveTagsFromResourceCommand,
} from '@aws-sdk/client-ssm';
import type { ParameterTier, ParameterType } from '@aws-sdk/client-ssm';
import { ProviderError } from '../errors.js';
import {
  MANAGED_BY_KEY,
  MANAGED_BY_VALUE,
  isBool,
  isOwned,
  isString,
  isStringMap,
  notOwned,
  oneOf,
  parsePushMetadata,
  secretJson,
} from '../push.js';
import type { FieldCheck } from '../push.js';
import type { DeleteOutcome, PushOutcome, PushRef, PushRequest, PushValue, SecretsWriter } from '../types.js';
import { prefixed, tagMap } from './common.js';
import type { SsmApi } from './parameterstore.js';
import { dropProperty, hasProperty, setProperty } from '../push.js';
import { DEFAULT_DESCRIPTION, tagDiff } from './push.js';
import type { AwsCalls } from './push.js';

interface PsMetadata {
  secretType: ParameterType;
  kmsKeyID: string;
  tier: { type?: ParameterTier; policies?: unknown };
  encodeAsDecoded: boolean;
  tags: Record<string, string>;
  description: string;
}

const tier: FieldCheck = (v, where) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${where} must be an object`;
  for (const [k, x] of Object.entries(v)) {
    if (k === 'type') {
      const p = oneOf('Standard', 'Advanced', 'Intelligent-Tiering')(x, `${where}.type`);
      if (p) return p;
    } else if (k !== 'policies') return `${where}: unknown field "${k}"`;
  }
  return undefined;
};

const PS_FIELDS = {
  secretType: oneOf('String', 'StringList', 'SecureString'),
  kmsKeyID: isString,
  tier,
  encodeAsDecoded: isBool,
  tags: (v: unknown, where: string) =>
    isStringMap(v, where) ??
    (Object.hasOwn(v as object, MANAGED_BY_KEY)
      ? `${where}: cannot specify a '${MANAGED_BY_KEY}' tag`
      : undefined),
  description: isString,
};

const decoder = new TextDecoder();

/** The parameter's text for a whole Secret, as ESO's json.Marshal of map[string][]byte (base64) writes it. */
function valueText(value: PushValue, encodeAsDecoded: boolean | undefined): string {
  if (value.kind === 'bytes') return decoder.decode(value.data);
  if (encodeAsDecoded) return secretJson(value.data);
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(value.data).sort()) sorted[k] = Buffer.from(value.data[k]!).toString('base64');
  return JSON.stringify(sorted);
}

export class ParameterStoreWriter implements SecretsWriter {
  constructor(private readonly c: AwsCalls<SsmApi>) {}

  /** One SDK call (a command of this client's service), errors mapped naming `what`. */
  private send<T>(what: string, cmd: object): Promise<T> {
    const send = this.c.api.send.bind(this.c.api) as (c: object, o: object) => Promise<unknown>;
    return this.c.call(what, () => send(cmd, { abortSignal: this.c.signal }) as Promise<T>);
  }

  private async read(name: string): Promise<{ value?: string; tags: Record<string, string> } | undefined> {
    const what = `parameter "${name}"`;
    let value: string | undefined;
    try {
      const out = await this.send<{ Parameter?: { Value?: string } }>(
        what,
        new GetParameterCommand({ Name: name, WithDecryption: true }),
      );
      value = out.Parameter?.Value;
    } catch (e) {
      if (e instanceof ProviderError && e.reason === 'NotFound') return undefined;
      throw e;
    }
    const tags = await this.send<{ TagList?: { Key?: string; Value?: string }[] }>(
      what,
      new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }),
    );
    return { value, tags: tagMap(tags.TagList) };
  }

  async push(req: PushRequest): Promise<PushOutcome> {
    const meta = parsePushMetadata<PsMetadata>('aws (ParameterStore)', req.metadata, PS_FIELDS) ?? {};
    const name = prefixed(this.c.prefix, req.ref.remoteKey);
    const what = `parameter "${name}"`;
    const existing = await this.read(name);
    if (existing && !isOwned(existing.tags))
      throw notOwned('AWS Parameter Store parameter', { ...req.ref, remoteKey: name }, 'tag');
    const text = valueText(req.value, meta.encodeAsDecoded);
    const value = req.ref.property ? setProperty(existing?.value, req.ref.property, text, what) : text;
    const tags = { ...(meta.tags ?? {}), [MANAGED_BY_KEY]: MANAGED_BY_VALUE };
    const type = meta.secretType ?? 'String';
    const input = {
      Name: name,
      Value: value,
      Type: type,
      Description: meta.description || DEFAULT_DESCRIPTION,
      ...(type === 'SecureString' ? { KeyId: meta.kmsKeyID || 'alias/aws/ssm' } : {}),
      ...(meta.tier?.type && meta.tier.type !== 'Standard'
        ? {
            Tier: meta.tier.type,
            ...(meta.tier.policies !== undefined ? { Policies: JSON.stringify(meta.tier.policies) } : {}),
          }
        : {}),
    };
    if (!existing) {
      // Overwrite false: a parameter created a moment ago by someone else is refused, not replaced.
      await this.send(
        what,
        new PutParameterCommand({
          ...input,
          Overwrite: false,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      return 'created';
    }
    const changed = existing.value !== value;
    if (changed) await this.send(what, new PutParameterCommand({ ...input, Overwrite: true }));
    // As ESO: tags follow metadata when the value changes; Syncret also when metadata names tags.
    let tagged = false;
    if (changed || meta.tags) {
      const { remove, set } = tagDiff(existing.tags, tags);
      if (remove.length > 0)
        await this.send(
          what,
          new RemoveTagsFromResourceCommand({ ResourceType: 'Parameter', ResourceId: name, TagKeys: remove }),
        );
      if (Object.keys(set).length > 0)
        await this.send(
          what,
          new AddTagsToResourceCommand({
            ResourceType: 'Parameter',
            ResourceId: name,
            Tags: Object.entries(set).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
      tagged = remove.length > 0 || Object.keys(set).length > 0;
    }
    return changed || tagged ? 'updated' : 'unchanged';
  }

  async delete(ref: PushRef): Promise<DeleteOutcome> {
    const name = prefixed(this.c.prefix, ref.remoteKey);
    const what = `parameter "${name}"`;
    const existing = await this.read(name);
    if (!existing) return 'absent';
    if (!isOwned(existing.tags)) return 'not-owned';
    if (ref.property) {
      if (!hasProperty(existing.value, ref.property)) return 'absent';
      const rest = dropProperty(existing.value, ref.property, what);
      if (rest !== undefined) {
        await this.send(what, new PutParameterCommand({ Name: name, Value: rest, Overwrite: true }));
        return 'deleted';
      }
    }
    await this.send(what, new DeleteParameterCommand({ Name: name }));
    return 'deleted';
  }

  async exists(ref: PushRef): Promise<boolean> {
    const name = prefixed(this.c.prefix, ref.remoteKey);
    try {
      const out = await this.send<{ Parameter?: { Value?: string } }>(
        `parameter "${name}"`,
        new GetParameterCommand({ Name: name, WithDecryption: true }),
      );
      return ref.property ? hasProperty(out.Parameter?.Value, ref.property) : true;
    } catch (e) {
      if (e instanceof ProviderError && e.reason === 'NotFound') return false;
      throw e;
    }
  }
}
