// AWS Systems Manager Parameter Store reads. SecureString values are always decrypted;
// StringList values come back as AWS stores them (comma-separated). `version` is a version
// number or a label, sent as AWS's `name:selector` form.

import {
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-ssm';
import type { Parameter, ParameterStringFilter, SSMClient } from '@aws-sdk/client-ssm';
import type { FindRef } from '../../api/types.js';
import { ProviderError } from '../errors.js';
import type { RemoteKeyRef, RemoteValue, SecretsClient } from '../types.js';
import { findNameMatcher } from '../shared.js';
import { AwsReader, chunks, prefixed } from './common.js';

/** GetParameters' limit on names per call. */
export const GET_PARAMETERS_BATCH = 10;
const DESCRIBE_PAGE = 50;
const BY_PATH_PAGE = 10;

export type SsmApi = Pick<SSMClient, 'send' | 'destroy'>;

const encoder = new TextEncoder();

export class ParameterStoreReader extends AwsReader<SsmApi> implements SecretsClient {
  async getSecret(ref: RemoteKeyRef): Promise<RemoteValue> {
    const name = prefixed(this.prefix, ref.key);
    if (ref.metadataPolicy === 'Fetch') {
      const out = await this.call(`parameter "${name}"`, () =>
        this.api.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }), {
          abortSignal: this.signal,
        }),
      );
      const tags: Record<string, unknown> = {};
      for (const t of out.TagList ?? []) if (t.Key !== undefined) tags[t.Key] = t.Value ?? '';
      return { kind: 'map', data: tags };
    }
    const selector = ref.version ? `${name}:${ref.version}` : name;
    const what = ref.version ? `parameter "${name}" version "${ref.version}"` : `parameter "${name}"`;
    const out = await this.call(what, () =>
      this.api.send(new GetParameterCommand({ Name: selector, WithDecryption: true }), {
        abortSignal: this.signal,
      }),
    );
    const value = out.Parameter?.Value;
    if (value === undefined) throw new ProviderError('NotFound', `${what} has no value`);
    return { kind: 'bytes', data: encoder.encode(value) };
  }

  async findSecrets(find: FindRef): Promise<Map<string, RemoteValue>> {
    const nameMatches = findNameMatcher(find);
    const tags = Object.entries(find.tags ?? {});
    const path = find.path ? this.prefix + find.path : undefined;
    const out = new Map<string, RemoteValue>();
    const keep = (p: Parameter): void => {
      if (!p.Name || p.Value === undefined) return;
      if (!nameMatches(p.Name)) return;
      out.set(p.Name, { kind: 'bytes', data: encoder.encode(p.Value) });
    };

    // A path alone (or with a name regexp) is one recursive listing with values.
    if (path && tags.length === 0 && path.startsWith('/')) {
      let token: string | undefined;
      do {
        const page = await this.call(`parameters under "${path}"`, () =>
          this.api.send(
            new GetParametersByPathCommand({
              Path: path,
              Recursive: true,
              WithDecryption: true,
              MaxResults: BY_PATH_PAGE,
              NextToken: token,
            }),
            { abortSignal: this.signal },
          ),
        );
        for (const p of page.Parameters ?? []) keep(p);
        token = page.NextToken || undefined;
      } while (token);
      return out;
    }

    // Otherwise: names from DescribeParameters (tags and name prefixes filter server-side),
    // then values through GetParameters, 10 names per call.
    const filters: ParameterStringFilter[] = tags.map(([k, v]) => ({
      Key: `tag:${k}`,
      Option: 'Equals',
      Values: [v],
    }));
    const namePrefix = path ?? this.prefix;
    if (namePrefix) filters.push({ Key: 'Name', Option: 'BeginsWith', Values: [namePrefix] });
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.call('DescribeParameters', () =>
        this.api.send(
          new DescribeParametersCommand({
            MaxResults: DESCRIBE_PAGE,
            NextToken: token,
            ...(filters.length > 0 ? { ParameterFilters: filters } : {}),
          }),
          { abortSignal: this.signal },
        ),
      );
      for (const p of page.Parameters ?? []) {
        if (!p.Name) continue;
        if (namePrefix && !p.Name.startsWith(namePrefix)) continue;
        if (!nameMatches(p.Name)) continue;
        names.push(p.Name);
      }
      token = page.NextToken || undefined;
    } while (token);

    for (const batch of chunks(names, GET_PARAMETERS_BATCH)) {
      const res = await this.call(`a batch of ${batch.length} parameters`, () =>
        this.api.send(new GetParametersCommand({ Names: batch, WithDecryption: true }), {
          abortSignal: this.signal,
        }),
      );
      // A parameter deleted between the listing and the read is simply gone.
      for (const p of res.Parameters ?? []) keep(p);
    }
    return out;
  }
}
