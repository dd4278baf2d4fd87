// `syncret policy`: least-privilege backend policies from the manifests (docs/POLICY.md).
// Reads ExternalSecrets, ClusterExternalSecrets, SecretStores, ClusterSecretStores,
// VaultDynamicSecrets and Namespaces from YAML files or the live cluster (cluster.ts), finds
// what each store identity reads (usage.ts), and writes per identity a Vault/OpenBao HCL
// policy (vault.ts), an AWS IAM policy document (aws.ts) or Kubernetes RBAC for the
// kubernetes provider (kubernetes.ts). The output depends only on the manifests: the same
// manifests give the same bytes. `--check` compares the Vault policies with the live ones.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { KubeObject } from '../../api/types.js';
import { awsPolicy } from './aws.js';
import { loadCluster } from './cluster.js';
import { kubernetesRbac } from './kubernetes.js';
import type { AwsTarget } from './aws.js';
import { cmp, collectUsage, identityLabel } from './usage.js';
import type { Identity, Manifests } from './usage.js';
import { compareVault, parseHclPaths, vaultHcl, vaultRules } from './vault.js';

export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

export interface PolicyArgs {
  files: string[];
  /** Read the manifests from this cluster (with the files, if any). */
  kubeconfig?: string;
  /** Write one file per policy into this directory instead of printing them. */
  out?: string;
  /** Namespace of namespaced objects that set none (default "default"). */
  namespace?: string;
  aws: AwsTarget;
  /** Compare the Vault policies with those loaded in Vault (VAULT_ADDR, VAULT_TOKEN). */
  check?: boolean;
}

export const POLICY_USAGE = `Usage: syncret policy -f MANIFESTS.yaml [-f ...] [flags]

Prints, per store identity, the least-privilege backend policy its ExternalSecrets need:
Vault/OpenBao HCL for provider.vault stores and VaultDynamicSecret generators, AWS IAM JSON
for provider.aws stores, a Role (and RoleBinding) for provider.kubernetes stores. Each rule
names the manifest entries that need it.

  -f, --file FILE      YAML with ExternalSecrets, ClusterExternalSecrets, SecretStores,
                       ClusterSecretStores, VaultDynamicSecrets and Namespaces (repeatable)
  --kubeconfig FILE    read them from the cluster instead (or as well): every ExternalSecret,
                       ClusterExternalSecret, store, VaultDynamicSecret and Namespace
  -n, --namespace NS   namespace of objects that set none (default "default")
  --out DIR            write one file per policy (NAME.hcl, NAME.iam.json, NAME.rbac.yaml)
                       into DIR
  --aws-account ID     the AWS account of the ARNs (default "*": any)
  --aws-partition P    the AWS partition of the ARNs (default "aws")
  --check              compare each Vault policy with the one of the same name in Vault
                       (VAULT_ADDR, VAULT_TOKEN, optional VAULT_NAMESPACE); exit 1 when
                       something is missing or broader than needed
`;

export function parsePolicyArgs(argv: readonly string[]): PolicyArgs | 'help' {
  const out: PolicyArgs = { files: [], aws: { account: '*', partition: 'aws' } };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new PolicyError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '-h':
      case '--help':
        return 'help';
      case '-f':
      case '--file':
        out.files.push(value());
        break;
      case '-n':
      case '--namespace':
        out.namespace = value();
        break;
      case '--out':
        out.out = value();
        break;
      case '--kubeconfig':
        out.kubeconfig = value();
        break;
      case '--aws-account': {
        const v = value();
        if (v !== '*' && !/^\d{12}$/.test(v)) throw new PolicyError('--aws-account must be 12 digits');
        out.aws.account = v;
        break;
      }
      case '--aws-partition':
        out.aws.partition = value();
        break;
      case '--check':
        out.check = true;
        break;
      default:
        throw new PolicyError(`unknown argument "${arg}" (see syncret policy --help)`);
    }
  }
  if (out.files.length === 0 && !out.kubeconfig)
    throw new PolicyError('give the manifests with -f FILE or read them with --kubeconfig FILE');
  return out;
}

/** Every object of the files: YAML streams, and `List`s flattened. */
export function loadManifests(files: readonly string[], namespace = 'default'): Manifests {
  const m: Manifests = {
    externalSecrets: [],
    clusterExternalSecrets: [],
    stores: [],
    generators: [],
    namespaces: [],
  };
  const take = (o: KubeObject) => {
    if (!o || typeof o !== 'object' || !o.metadata) return;
    const namespaced =
      o.kind !== 'ClusterSecretStore' && o.kind !== 'ClusterExternalSecret' && o.kind !== 'Namespace';
    if (namespaced) o.metadata.namespace ??= namespace;
    switch (o.kind) {
      case 'ExternalSecret':
        m.externalSecrets.push(o);
        break;
      case 'ClusterExternalSecret':
        m.clusterExternalSecrets.push(o);
        break;
      case 'SecretStore':
      case 'ClusterSecretStore':
        m.stores.push(o);
        break;
      case 'VaultDynamicSecret':
        m.generators.push(o);
        break;
      case 'Namespace':
        m.namespaces.push(o);
        break;
    }
  };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new PolicyError(`cannot read ${file}: ${(e as Error).message}`);
    }
    for (const doc of YAML.parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new PolicyError(`${file}: ${doc.errors[0]!.message}`);
      const o = doc.toJS() as (KubeObject & { items?: KubeObject[] }) | null;
      if (!o) continue;
      if (o.kind === 'List' || (o.kind?.endsWith('List') && Array.isArray(o.items)))
        (o.items ?? []).forEach(take);
      else take(o);
    }
  }
  return m;
}

/** The name a policy is loaded under: syncret-<kind>-<namespace>-<name>. */
export function policyName(id: Pick<Identity, 'kind' | 'namespace' | 'name'>): string {
  return ['syncret', id.kind.toLowerCase(), id.namespace, id.name].filter(Boolean).join('-');
}

export interface PolicyFile {
  /** File name: NAME.hcl, NAME.iam.json (and NAME.iam.txt) or NAME.rbac.yaml. */
  file: string;
  name: string;
  identity: Identity;
  backend: 'vault' | 'aws' | 'kubernetes';
  text: string;
}

export interface PolicyResult {
  files: PolicyFile[];
  warnings: string[];
  /** Per Vault policy: what --check found (only with check). */
  checks?: { name: string; missing: string[]; broader: string[]; absent?: boolean }[];
}

/** The policies of the manifests, in name order. */
export function generatePolicies(m: Manifests, aws: AwsTarget): PolicyResult {
  const usage = collectUsage(m);
  const warnings = [...usage.warnings];
  const files: PolicyFile[] = [];
  for (const id of usage.identities) {
    const name = policyName(id);
    const header = [
      `${name}: what ${identityLabel(id)} reads, generated by \`syncret policy\`.`,
      'Each rule names the manifest entries that need it; regenerate instead of editing.',
    ];
    if (id.provider.vault) {
      const rules = vaultRules(id, warnings);
      if (rules.length === 0) continue;
      files.push({
        file: `${name}.hcl`,
        name,
        identity: id,
        backend: 'vault',
        text: vaultHcl(id, rules, header),
      });
    } else if (id.provider.aws) {
      const p = awsPolicy(id, aws, warnings);
      if (!p) continue;
      files.push({
        file: `${name}.iam.json`,
        name,
        identity: id,
        backend: 'aws',
        text: `${JSON.stringify(p.policy, null, 2)}\n`,
      });
      // JSON has no comments: the provenance goes to a text file beside it.
      files.push({
        file: `${name}.iam.txt`,
        name,
        identity: id,
        backend: 'aws',
        text: `${[...header, ...p.notes].join('\n')}\n`,
      });
    } else if (id.provider.kubernetes) {
      const text = kubernetesRbac(id, name, header, warnings);
      if (text) files.push({ file: `${name}.rbac.yaml`, name, identity: id, backend: 'kubernetes', text });
    } else {
      const provider = Object.keys(id.provider)[0] ?? 'none';
      warnings.push(
        `${identityLabel(id)}: provider ${provider} has no policy generator (vault, aws and kubernetes do)`,
      );
    }
  }
  files.sort((a, b) => cmp(a.file, b.file));
  return { files, warnings: [...new Set(warnings)].sort(cmp) };
}

/** Prints (or writes) the policies; with check, compares the Vault ones with the live ones. */
export async function policy(args: PolicyArgs, env: NodeJS.ProcessEnv = process.env): Promise<PolicyResult> {
  const m = loadManifests(args.files, args.namespace);
  if (args.kubeconfig) {
    let live: Manifests;
    try {
      live = await loadCluster(args.kubeconfig);
    } catch (e) {
      throw new PolicyError(`cannot read the manifests from the cluster: ${(e as Error).message}`);
    }
    for (const k of Object.keys(m) as (keyof Manifests)[]) m[k].push(...(live[k] as never[]));
  }
  const result = generatePolicies(m, args.aws);
  if (args.out) {
    mkdirSync(args.out, { recursive: true });
    for (const f of result.files) writeFileSync(join(args.out, f.file), f.text);
  }
  if (args.check) result.checks = await checkVault(result.files, env, result.warnings);
  return result;
}

/** Stdout form: each file behind a `# ---- FILE` line. */
export function policyText(result: PolicyResult): string {
  return result.files.map((f) => `# ---- ${f.file}\n${f.text}`).join('\n');
}

async function checkVault(
  files: readonly PolicyFile[],
  env: NodeJS.ProcessEnv,
  warnings: string[],
): Promise<NonNullable<PolicyResult['checks']>> {
  const addr = env.VAULT_ADDR;
  const token = env.VAULT_TOKEN;
  if (!addr || !token) throw new PolicyError('--check needs VAULT_ADDR and VAULT_TOKEN');
  const out: NonNullable<PolicyResult['checks']> = [];
  for (const f of files) {
    if (f.backend !== 'vault') continue;
    const id = f.identity;
    const namespace = ((id.provider.vault ?? {}) as { namespace?: string }).namespace ?? env.VAULT_NAMESPACE;
    const res = await fetch(`${addr.replace(/\/+$/, '')}/v1/sys/policies/acl/${encodeURIComponent(f.name)}`, {
      headers: { 'x-vault-token': token, ...(namespace ? { 'x-vault-namespace': namespace } : {}) },
      signal: AbortSignal.timeout(15_000),
    });
    if (res.status === 404) {
      out.push({ name: f.name, missing: ['the whole policy (not loaded)'], broader: [], absent: true });
      continue;
    }
    if (!res.ok) throw new PolicyError(`Vault answered ${res.status} for sys/policies/acl/${f.name}`);
    const body = (await res.json()) as { data?: { policy?: string } };
    const rules = vaultRules(id, warnings);
    out.push({ name: f.name, ...compareVault(rules, parseHclPaths(body.data?.policy ?? '')) });
  }
  return out;
}
