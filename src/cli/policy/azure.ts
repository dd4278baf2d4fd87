// Azure Key Vault role assignments (Azure RBAC) for the accesses of one identity
// (provider.azurekv), from the calls src/providers/azurekv/index.ts makes: a get of a secret,
// key or certificate needs the data-plane read of that object, granted by the built-in role
// of its type scoped to the single object; find lists the vault's secrets and reads each one,
// which only a role on the whole vault grants. The vault's resource id (subscription, resource
// group) is not in the manifests: the YAML leaves placeholders, Terraform looks the vault up.

import YAML from 'yaml';
import { parseKey } from '../../providers/azurekv/index.js';
import type { ObjectType } from '../../providers/azurekv/index.js';
import { cmp } from './usage.js';
import type { Identity } from './usage.js';

export const AZURE_ROLES: Record<ObjectType, string> = {
  secret: 'Key Vault Secrets User',
  cert: 'Key Vault Certificate User',
  key: 'Key Vault Crypto User',
};
const COLLECTION: Record<ObjectType, string> = { secret: 'secrets', cert: 'certificates', key: 'keys' };

export interface AzureAssignment {
  /** Below the vault: "" (the vault itself) or "/secrets/NAME", "/keys/NAME", "/certificates/NAME". */
  scope: string;
  role: string;
  by: string[];
}

/** The vault's name: the first label of provider.azurekv.vaultUrl's host. */
export function vaultName(id: Identity): string {
  const url = ((id.provider.azurekv ?? {}) as { vaultUrl?: string }).vaultUrl ?? '';
  try {
    return new URL(url).hostname.split('.')[0] ?? '';
  } catch {
    return '';
  }
}

export function azureAssignments(id: Identity, warnings: string[]): AzureAssignment[] {
  const out = new Map<string, AzureAssignment>();
  const add = (scope: string, role: string, by: string) => {
    const key = `${scope}\n${role}`;
    let a = out.get(key);
    if (!a) out.set(key, (a = { scope, role, by: [] }));
    if (!a.by.includes(by)) a.by.push(by);
  };
  for (const a of id.accesses) {
    if (a.op === 'get') {
      let k;
      try {
        k = parseKey(a.key);
      } catch (e) {
        warnings.push(`${a.by}: ${(e as Error).message}`);
        continue;
      }
      add(`/${COLLECTION[k.type]}/${k.name}`, AZURE_ROLES[k.type], `${a.by} (key ${a.key})`);
    } else if (a.op === 'find') {
      add('', AZURE_ROLES.secret, `${a.by} (find lists every secret of the vault: no narrower scope)`);
    }
  }
  if (out.size === 0) warnings.push(`${id.kind} ${id.name}: no reads to grant`);
  // The role on the whole vault already covers each secret of it.
  const vaultWide = out.get(`\n${AZURE_ROLES.secret}`);
  const covered = (a: AzureAssignment): boolean => {
    if (!vaultWide || a.role !== AZURE_ROLES.secret || !a.scope.startsWith('/secrets/')) return false;
    for (const by of a.by) if (!vaultWide.by.includes(by)) vaultWide.by.push(by);
    return true;
  };
  return [...out.values()]
    .filter((a) => !covered(a))
    .map((a) => ({ ...a, by: [...a.by].sort(cmp) }))
    .sort((a, b) => cmp(a.scope, b.scope) || cmp(a.role, b.role));
}

const q = (s: string): string => JSON.stringify(s);

/** Terraform: the vault looked up by name, one azurerm_role_assignment per assignment. */
export function azureTerraform(
  vault: string,
  assignments: readonly AzureAssignment[],
  principal: string | undefined,
  header: readonly string[],
): string {
  const lines = header.map((h) => `# ${h}`);
  lines.push('', 'variable "principal_id" {', '  type = string');
  if (principal) lines.push(`  default = ${q(principal)}`);
  lines.push('}', '', 'variable "resource_group_name" {', '  type = string', '}');
  lines.push('', 'data "azurerm_key_vault" "vault" {', `  name = ${q(vault)}`);
  lines.push('  resource_group_name = var.resource_group_name', '}');
  assignments.forEach((a, i) => {
    lines.push('');
    for (const by of a.by) lines.push(`# ${by}`);
    lines.push(`resource "azurerm_role_assignment" "a${i + 1}" {`);
    lines.push(
      `  scope = ${a.scope ? `"\${data.azurerm_key_vault.vault.id}${a.scope}"` : 'data.azurerm_key_vault.vault.id'}`,
    );
    lines.push(`  role_definition_name = ${q(a.role)}`, '  principal_id = var.principal_id', '}');
  });
  return `${lines.join('\n')}\n`;
}

/** YAML: the vault, the principal and the assignments with full scopes (placeholders for what the manifests lack). */
export function azureYaml(
  vault: string,
  assignments: readonly AzureAssignment[],
  principal: string | undefined,
  header: readonly string[],
): string {
  const base = `/subscriptions/SUBSCRIPTION_ID/resourceGroups/RESOURCE_GROUP/providers/Microsoft.KeyVault/vaults/${vault}`;
  const doc = {
    principalId: principal ?? 'PRINCIPAL_ID',
    assignments: assignments.map((a) => ({ scope: base + a.scope, role: a.role, neededBy: a.by })),
  };
  const notes = [...header, "SUBSCRIPTION_ID, RESOURCE_GROUP: the vault's (not in the manifests)."];
  if (!principal) notes.push("PRINCIPAL_ID: the object id of the store's identity (see --azure-principal).");
  return `${notes.map((h) => `# ${h}`).join('\n')}\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}
