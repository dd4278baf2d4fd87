// `syncret policy`: least-privilege backend policies from the manifests (docs/POLICY.md).
// Reads ExternalSecrets, ClusterExternalSecrets, SecretStores, ClusterSecretStores,
// VaultDynamicSecrets and Namespaces from YAML files or the live cluster (cluster.ts), finds
// what each store identity reads (usage.ts), and writes per identity a Vault/OpenBao HCL
// policy (vault.ts), an AWS IAM policy document (aws.ts), GCP IAM bindings (gcp.ts), Azure
// role assignments (azure.ts) or Kubernetes RBAC for the kubernetes provider (kubernetes.ts). The output depends only on the manifests: the same
// manifests give the same bytes. `--check` compares the Vault and IAM policies with the live
// ones (iamcheck.ts for IAM).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import type { KubeObject } from '../../api/types.js';
import { awsPolicy } from './aws.js';
import { azureAssignments, azureTerraform, azureYaml, vaultName } from './azure.js';
import { gcpBindings, gcpMember, gcpTerraform, gcpYaml } from './gcp.js';
import { loadCluster } from './cluster.js';
import { kubernetesRbac } from './kubernetes.js';
import { operatorValues } from './operator.js';
import type { AwsTarget, IamPolicy } from './aws.js';
import { compareIam, iamEnv, livePolicy } from './iamcheck.js';
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
  /** Principals of GCP and Azure policies whose store's auth names none. */
  members?: Members;
  /** Compare the Vault policies with those in Vault, the IAM documents with those in IAM. */
  check?: boolean;
}

export interface Members {
  /** An IAM member, e.g. serviceAccount:reader@p.iam.gserviceaccount.com. */
  gcp?: string;
  /** The object id of the Azure identity. */
  azure?: string;
}

export const POLICY_USAGE = `Usage: syncret policy -f MANIFESTS.yaml [-f ...] [flags]

Prints, per store identity, the least-privilege backend policy its ExternalSecrets need:
Vault/OpenBao HCL for provider.vault stores and VaultDynamicSecret generators, AWS IAM JSON
for provider.aws stores, IAM bindings (YAML and Terraform) for provider.gcpsm stores, role
assignments (YAML and Terraform) for provider.azurekv stores, a Role (and RoleBinding) for
provider.kubernetes stores, and the chart values that narrow the operator's own RBAC to the
namespaces the manifests use. Each rule names the manifest entries that need it.

  -f, --file FILE      YAML with ExternalSecrets, ClusterExternalSecrets, SecretStores,
                       ClusterSecretStores, VaultDynamicSecrets and Namespaces (repeatable)
  --kubeconfig FILE    read them from the cluster instead (or as well): every ExternalSecret,
                       ClusterExternalSecret, store, VaultDynamicSecret and Namespace
  -n, --namespace NS   namespace of objects that set none (default "default")
  --out DIR            write one file per policy (NAME.hcl, NAME.iam.json, NAME.rbac.yaml,
                       NAME.gcp.yaml and .gcp.tf, NAME.azure.yaml and .azure.tf,
                       syncret-operator.values.yaml) into DIR
  --aws-account ID     the AWS account of the ARNs (default "*": any)
  --aws-partition P    the AWS partition of the ARNs (default "aws")
  --gcp-member M       the IAM member of GCP bindings (default: the store's
                       workloadIdentityFederation.gcpServiceAccountEmail, else MEMBER)
  --azure-principal ID the object id of Azure role assignments (else PRINCIPAL_ID)
  --check              compare each Vault policy with the one of the same name in Vault
                       (VAULT_ADDR, VAULT_TOKEN, optional VAULT_NAMESPACE), and each IAM
                       document with the managed policy of the same name in --aws-account
                       (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN,
                       AWS_ENDPOINT_URL_IAM); exit 1 when something is missing or broader
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
      case '--gcp-member':
        (out.members ??= {}).gcp = value();
        break;
      case '--azure-principal':
        (out.members ??= {}).azure = value();
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
  /**
   * File name: NAME.hcl, NAME.iam.json (and .iam.txt), NAME.rbac.yaml, NAME.gcp.yaml/.tf,
   * NAME.azure.yaml/.tf, and syncret-operator.values.yaml (the operator's own scope).
   */
  file: string;
  name: string;
  /** The store identity the policy is for (none for the operator's scope). */
  identity?: Identity;
  backend: 'vault' | 'aws' | 'kubernetes' | 'gcp' | 'azure' | 'operator';
  text: string;
}

export interface PolicyResult {
  files: PolicyFile[];
  warnings: string[];
  /** Per Vault and IAM policy: what --check found (only with check). */
  checks?: { name: string; missing: string[]; broader: string[]; absent?: boolean }[];
}

/** The chart values file that narrows the operator's own RBAC (operator.ts). */
const OPERATOR_SCOPE = 'syncret-operator';

/** The policies of the manifests, in name order. */
export function generatePolicies(m: Manifests, aws: AwsTarget, members: Members = {}): PolicyResult {
  const usage = collectUsage(m);
  const warnings = [...usage.warnings];
  const files = usage.identities.flatMap((id) => identityFiles(id, aws, members, warnings));
  const scope = operatorValues(m, [
    `${OPERATOR_SCOPE}: the namespaces the operator itself needs, generated by \`syncret policy\`.`,
    'Each namespace names the manifests that need it; regenerate instead of editing.',
  ]);
  if (scope)
    files.push({
      file: `${OPERATOR_SCOPE}.values.yaml`,
      name: OPERATOR_SCOPE,
      backend: 'operator',
      text: scope,
    });
  files.sort((a, b) => cmp(a.file, b.file));
  return { files, warnings: [...new Set(warnings)].sort(cmp) };
}

/** The files of one identity, by its provider (none when it reads nothing). */
function identityFiles(id: Identity, aws: AwsTarget, members: Members, warnings: string[]): PolicyFile[] {
  const name = policyName(id);
  const header = [
    `${name}: what ${identityLabel(id)} reads, generated by \`syncret policy\`.`,
    'Each rule names the manifest entries that need it; regenerate instead of editing.',
  ];
  const file = (backend: PolicyFile['backend'], suffix: string, text: string): PolicyFile => ({
    file: `${name}.${suffix}`,
    name,
    identity: id,
    backend,
    text,
  });
  if (id.provider.vault) {
    const rules = vaultRules(id, warnings);
    return rules.length === 0 ? [] : [file('vault', 'hcl', vaultHcl(id, rules, header))];
  }
  if (id.provider.aws) {
    const p = awsPolicy(id, aws, warnings);
    if (!p) return [];
    return [
      file('aws', 'iam.json', `${JSON.stringify(p.policy, null, 2)}\n`),
      // JSON has no comments: the provenance goes to a text file beside it.
      file('aws', 'iam.txt', `${[...header, ...p.notes].join('\n')}\n`),
    ];
  }
  if (id.provider.kubernetes) {
    const text = kubernetesRbac(id, name, header, warnings);
    return text ? [file('kubernetes', 'rbac.yaml', text)] : [];
  }
  if (id.provider.gcpsm) {
    const bindings = gcpBindings(id, warnings);
    if (bindings.length === 0) return [];
    const member = gcpMember(id, members.gcp);
    if (!member)
      warnings.push(`${identityLabel(id)}: no IAM member known; give --gcp-member (MEMBER in the output)`);
    return [
      file('gcp', 'gcp.yaml', gcpYaml(bindings, member, header)),
      file('gcp', 'gcp.tf', gcpTerraform(bindings, member, header)),
    ];
  }
  if (id.provider.azurekv) {
    const assignments = azureAssignments(id, warnings);
    if (assignments.length === 0) return [];
    const vault = vaultName(id);
    if (!members.azure)
      warnings.push(
        `${identityLabel(id)}: no principal known; give --azure-principal (PRINCIPAL_ID in the output)`,
      );
    return [
      file('azure', 'azure.yaml', azureYaml(vault, assignments, members.azure, header)),
      file('azure', 'azure.tf', azureTerraform(vault, assignments, members.azure, header)),
    ];
  }
  const provider = Object.keys(id.provider)[0] ?? 'none';
  warnings.push(
    `${identityLabel(id)}: provider ${provider} has no policy generator (vault, aws, gcpsm, azurekv and kubernetes do)`,
  );
  return [];
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
  const result = generatePolicies(m, args.aws, args.members);
  if (args.out) {
    mkdirSync(args.out, { recursive: true });
    for (const f of result.files) writeFileSync(join(args.out, f.file), f.text);
  }
  if (args.check) {
    const vault = result.files.some((f) => f.backend === 'vault');
    const aws = result.files.some((f) => f.backend === 'aws');
    if (result.files.some((f) => f.backend === 'gcp' || f.backend === 'azure'))
      result.warnings.push(
        '--check compares Vault and IAM policies; GCP bindings and Azure role assignments are not read back',
      );
    result.checks = [
      ...(vault ? await checkVault(result.files, env, result.warnings) : []),
      ...(aws ? await checkAws(result.files, args.aws, env) : []),
    ];
  }
  return result;
}

/** Stdout form: each file behind a `# ---- FILE` line. */
export function policyText(result: PolicyResult): string {
  return result.files.map((f) => `# ---- ${f.file}\n${f.text}`).join('\n');
}

/** Each IAM document against the managed policy of the same name in the account. */
async function checkAws(
  files: readonly PolicyFile[],
  target: AwsTarget,
  env: NodeJS.ProcessEnv,
): Promise<NonNullable<PolicyResult['checks']>> {
  if (target.account === '*') throw new PolicyError('--check of IAM policies needs --aws-account');
  const iam = iamEnv(target.partition, env);
  if (typeof iam === 'string') throw new PolicyError(`--check of IAM policies ${iam}`);
  const out: NonNullable<PolicyResult['checks']> = [];
  for (const f of files) {
    if (f.backend !== 'aws' || !f.file.endsWith('.iam.json')) continue;
    let live: unknown;
    try {
      live = await livePolicy(iam, `arn:${target.partition}:iam::${target.account}:policy/${f.name}`);
    } catch (e) {
      throw new PolicyError(`${f.name}: ${(e as Error).message}`);
    }
    if (live === undefined) {
      out.push({ name: f.name, missing: ['the whole policy (not in IAM)'], broader: [], absent: true });
      continue;
    }
    out.push({ name: f.name, ...compareIam(JSON.parse(f.text) as IamPolicy, live) });
  }
  return out;
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
    const id = f.identity;
    if (f.backend !== 'vault' || !id) continue;
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
