// AWS IAM policy documents for the accesses of one identity (provider.aws): the exact calls
// src/providers/aws/secretsmanager.ts and parameterstore.ts make, each on the resources it
// touches. Secrets Manager secret ARNs end in a random six-character suffix, hence `-??????`;
// ListSecrets, BatchGetSecretValue and DescribeParameters take no resource, hence `*` for them
// (and only where a find needs them).

import { prefixed } from '../../providers/aws/common.js';
import { cmp } from './usage.js';
import type { Access, Identity } from './usage.js';

export interface AwsTarget {
  /** 12 digits; `*` when unknown (any account the credentials are in). */
  account: string;
  partition: string;
}

export interface IamStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
}

export interface IamPolicy {
  Version: '2012-10-17';
  Statement: IamStatement[];
}

interface AwsSpec {
  service?: string;
  region?: string;
  prefix?: string;
  role?: string;
}

/** One statement per action set; its resources merged; `by` for the comments. */
interface Grant {
  actions: string[];
  resources: Set<string>;
  by: Set<string>;
}

export function awsPolicy(
  id: Identity,
  target: AwsTarget,
  warnings: string[],
): { policy: IamPolicy; notes: string[] } | undefined {
  const spec = (id.provider.aws ?? {}) as AwsSpec;
  const region = spec.region || '*';
  const prefix = spec.prefix ?? '';
  const grants = new Map<string, Grant>();
  const add = (actions: string[], resource: string, by: string) => {
    const key = actions.join(',');
    let g = grants.get(key);
    if (!g) grants.set(key, (g = { actions, resources: new Set(), by: new Set() }));
    g.resources.add(resource);
    g.by.add(by);
  };
  const sm = spec.service !== 'ParameterStore';
  const arn = (service: string, rest: string) =>
    `arn:${target.partition}:${service}:${region}:${target.account}:${rest}`;
  for (const a of id.accesses) {
    if (a.op === 'generate') continue;
    if (sm) secretsManager(a, prefix, arn, add);
    else parameterStore(a, prefix, arn, add);
  }
  if (grants.size === 0) {
    warnings.push(`${id.kind} ${id.name}: no reads to grant`);
    return undefined;
  }
  const statements: IamStatement[] = [];
  const notes: string[] = [];
  const sorted = [...grants.values()].sort((a, b) => cmp(a.actions.join(), b.actions.join()));
  sorted.forEach((g, i) => {
    const sid = `Syncret${i + 1}`;
    statements.push({ Sid: sid, Effect: 'Allow', Action: g.actions, Resource: [...g.resources].sort(cmp) });
    for (const by of [...g.by].sort(cmp)) notes.push(`${sid}: ${by}`);
  });
  if (spec.role)
    notes.push(
      `The policy is for the role ${spec.role} (provider.aws.role); the store's own credentials need sts:AssumeRole on it.`,
    );
  return { policy: { Version: '2012-10-17', Statement: statements }, notes };
}

type Add = (actions: string[], resource: string, by: string) => void;

function secretsManager(a: Access, prefix: string, arn: (s: string, r: string) => string, add: Add): void {
  if (a.op === 'get') {
    const id = prefixed(prefix, a.key);
    // A full ARN names the secret as it is (its suffix included).
    const resource = id.startsWith('arn:') ? id : arn('secretsmanager', `secret:${id}-??????`);
    const action = a.metadata ? 'secretsmanager:DescribeSecret' : 'secretsmanager:GetSecretValue';
    add([action], resource, `${a.by} (key ${a.key})`);
    return;
  }
  if (a.op !== 'find') return;
  const namePrefix = prefix + (a.find.path ?? '');
  add(['secretsmanager:BatchGetSecretValue', 'secretsmanager:ListSecrets'], '*', `${a.by} (find)`);
  // BatchGetSecretValue also checks GetSecretValue on each secret it returns.
  add(['secretsmanager:GetSecretValue'], arn('secretsmanager', `secret:${namePrefix}*`), `${a.by} (find)`);
}

function parameterStore(a: Access, prefix: string, arn: (s: string, r: string) => string, add: Add): void {
  // Parameter ARNs name the parameter without its leading slash.
  const param = (name: string) =>
    name.startsWith('arn:') ? name : arn('ssm', `parameter/${name.replace(/^\//, '')}`);
  if (a.op === 'get') {
    const name = prefixed(prefix, a.key);
    add([a.metadata ? 'ssm:ListTagsForResource' : 'ssm:GetParameter'], param(name), `${a.by} (key ${a.key})`);
    return;
  }
  if (a.op !== 'find') return;
  const tags = Object.keys(a.find.tags ?? {}).length > 0;
  const path = a.find.path ? prefix + a.find.path : undefined;
  if (path && !tags && path.startsWith('/')) {
    const base = path.replace(/^\/+|\/+$/g, '');
    add(['ssm:GetParametersByPath'], param(base), `${a.by} (find under ${path})`);
    add(['ssm:GetParametersByPath'], param(`${base}/*`), `${a.by} (find under ${path})`);
    return;
  }
  add(['ssm:DescribeParameters'], '*', `${a.by} (find)`);
  add(['ssm:GetParameters'], param(`${(path ?? prefix).replace(/^\//, '')}*`), `${a.by} (find)`);
}
