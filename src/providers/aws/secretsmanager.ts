// AWS Secrets Manager reads: GetSecretValue for one key, DescribeSecret for its tags, and
// for dataFrom.find ListSecrets (server-side filters, then exact matching here) followed by
// BatchGetSecretValue with up to 20 secrets per call.

import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Filter, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { FindRef } from '../../api/types.js';
import { ProviderError } from '../errors.js';
import type { RemoteKeyRef, RemoteValue, SecretsClient } from '../types.js';
import { awsError } from './errors.js';
import { findNameMatcher, matchesTags } from '../shared.js';
import { AwsReader, prefixed, tagMap } from './common.js';

/** BatchGetSecretValue's limit for SecretIdList. */
export const BATCH_SIZE = 20;
const LIST_PAGE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type SmApi = Pick<SecretsManagerClient, 'send' | 'destroy'>;

const encoder = new TextEncoder();

/**
 * ESO's forms: `uuid/<id>` is a version ID; anything else is a staging label (AWSCURRENT,
 * AWSPREVIOUS, custom). A bare UUID is taken as a version ID too, since no one labels a
 * stage with one.
 */
export function versionSelector(version: string | undefined): { VersionId?: string; VersionStage?: string } {
  if (!version) return {};
  if (version.startsWith('uuid/')) return { VersionId: version.slice('uuid/'.length) };
  if (UUID.test(version)) return { VersionId: version };
  return { VersionStage: version };
}

function valueOf(out: { SecretString?: string; SecretBinary?: Uint8Array }): Uint8Array | undefined {
  if (out.SecretString !== undefined) return encoder.encode(out.SecretString);
  if (out.SecretBinary !== undefined) return out.SecretBinary;
  return undefined;
}

export class SecretsManagerReader extends AwsReader<SmApi> implements SecretsClient {
  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    const id = prefixed(this.prefix, ref.key);
    const what = ref.version ? `secret "${id}" version "${ref.version}"` : `secret "${id}"`;
    if (ref.metadataPolicy === 'Fetch') {
      const out = await this.call(`secret "${id}"`, () =>
        this.api.send(new DescribeSecretCommand({ SecretId: id }), { abortSignal: this.signal }),
      );
      const tags: Record<string, unknown> = {};
      for (const t of out.Tags ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
      return { kind: 'map', data: tags };
    }
    const out = await this.call(what, () =>
      this.api.send(new GetSecretValueCommand({ SecretId: id, ...versionSelector(ref.version) }), {
        abortSignal: this.signal,
      }),
    );
    const data = valueOf(out);
    if (!data) throw new ProviderError('NotFound', `${what} has no value`);
    return { kind: 'bytes', data };
  }

  async findSecrets(find: FindRef): Promise<Map<string, RemoteValue>> {
    const nameMatches = findNameMatcher(find);
    const namePrefix = this.prefix + (find.path ?? '');
    const tags = find.tags ?? {};
    const filters: Filter[] = [];
    if (namePrefix) filters.push({ Key: 'name', Values: [namePrefix] });
    for (const [k, v] of Object.entries(tags)) {
      filters.push({ Key: 'tag-key', Values: [k] });
      filters.push({ Key: 'tag-value', Values: [v] });
    }

    // ListSecrets filters are loose (name is a prefix match ignoring case, tag keys and
    // values match independently), so every candidate is checked exactly here.
    const ids: { arn: string; name: string }[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('ListSecrets', () =>
        this.api.send(
          new ListSecretsCommand({
            MaxResults: LIST_PAGE,
            NextToken: token,
            ...(filters.length > 0 ? { Filters: filters } : {}),
          }),
          { abortSignal: this.signal },
        ),
      );
      for (const s of page.SecretList ?? []) {
        if (!s.Name || !s.ARN) continue;
        if (namePrefix && !s.Name.startsWith(namePrefix)) continue;
        if (!nameMatches(s.Name)) continue;
        if (!matchesTags(tagMap(s.Tags), tags)) continue;
        ids.push({ arn: s.ARN, name: s.Name });
      }
      token = page.NextToken || undefined;
    } while (token);

    const byArn = new Map(ids.map((i) => [i.arn, i.name]));
    const out = new Map<string, RemoteValue>();
    for (let i = 0; i < ids.length; i += BATCH_SIZE) {
      const chunk = ids.slice(i, i + BATCH_SIZE).map((x) => x.arn);
      let next: string | undefined;
      do {
        const res = await this.call(`a batch of ${chunk.length} secrets`, () =>
          this.api.send(new BatchGetSecretValueCommand({ SecretIdList: chunk, NextToken: next }), {
            abortSignal: this.signal,
          }),
        );
        const failed = res.Errors?.[0];
        if (failed) {
          const name = byArn.get(failed.SecretId ?? '') ?? failed.SecretId ?? 'unknown';
          throw awsError(
            { name: failed.ErrorCode, message: failed.Message },
            `secret "${name}" (found by dataFrom.find)`,
          );
        }
        for (const v of res.SecretValues ?? []) {
          const name = v.Name ?? byArn.get(v.ARN ?? '');
          const data = valueOf(v);
          if (name && data) out.set(name, { kind: 'bytes', data });
        }
        next = res.NextToken || undefined;
      } while (next);
    }
    return out;
  }
}
