// Vault/OpenBao ACL policies (HCL) for the accesses of one identity: exactly the API paths the
// provider (src/providers/vault/client.ts) and the VaultDynamicSecret generator call, with
// the capability Vault checks for each, and the token's own self-service paths.

import { findRoot, locateKey } from '../../providers/vault/client.js';
import { cmp } from './usage.js';
import type { Access, Identity } from './usage.js';

export type Capability = 'create' | 'read' | 'update' | 'delete' | 'list';
const ORDER: readonly Capability[] = ['create', 'read', 'update', 'delete', 'list'];

/** One `path` block: its capabilities and the manifest entries that need it. */
export interface VaultRule {
  path: string;
  capabilities: Set<Capability>;
  by: Set<string>;
}

interface VaultSpec {
  path?: string;
  version?: string;
  namespace?: string;
}

const trim = (s: string): string => s.replace(/^\/+|\/+$/g, '');

/** The rules, by path, sorted; errors (a key naming no mount) become warnings. */
export function vaultRules(id: Identity, warnings: string[]): VaultRule[] {
  const spec = (id.provider.vault ?? {}) as VaultSpec;
  const mount = trim(spec.path ?? '');
  const kv1 = spec.version === 'v1';
  const rules = new Map<string, VaultRule>();
  const add = (path: string, caps: Capability[], by: string) => {
    let r = rules.get(path);
    if (!r) rules.set(path, (r = { path, capabilities: new Set(), by: new Set() }));
    for (const c of caps) r.capabilities.add(c);
    r.by.add(by);
  };
  for (const a of id.accesses) {
    try {
      accessRules(a, mount, kv1, add);
    } catch (e) {
      warnings.push(`${a.by}: ${(e as Error).message}`);
    }
  }
  if (rules.size > 0) {
    // Every token: the store's validation looks itself up; an issued (login) token is renewed
    // and revoked by the operator when the store changes or stops.
    const self = 'the operator (store validation, token renewal and revocation)';
    add('auth/token/lookup-self', ['read'], self);
    add('auth/token/renew-self', ['update'], self);
    add('auth/token/revoke-self', ['update'], self);
  }
  return [...rules.values()].sort((a, b) => cmp(a.path, b.path));
}

function accessRules(
  a: Access,
  mount: string,
  kv1: boolean,
  add: (path: string, caps: Capability[], by: string) => void,
): void {
  if (a.op === 'generate') {
    const path = trim(a.path);
    add(path, [methodCapability(a.method)], a.by);
    if (a.leases) {
      add('sys/leases/renew', ['update'], `${a.by} (lease renewal)`);
      add('sys/leases/revoke', ['update'], `${a.by} (lease revocation)`);
    }
    return;
  }
  if (a.op === 'get') {
    const { mount: m, rest } = locateKey(mount, a.key);
    const what = `${a.by} (key ${a.key}${a.version ? `, version ${a.version}` : ''})`;
    if (kv1) add(`${m}/${rest}`, ['read'], what);
    else add(a.metadata ? `${m}/metadata/${rest}` : `${m}/data/${rest}`, ['read'], what);
    return;
  }
  if (kv1) throw new Error('dataFrom.find needs a KV v2 store (version: v2)');
  if (!mount) throw new Error('dataFrom.find needs spec.provider.vault.path (the mount)');
  const root = findRoot(mount, a.find.path);
  const under = root ? `${root}/*` : '*';
  const tags = Object.keys(a.find.tags ?? {}).length > 0;
  const narrowed = a.find.name?.regexp ? ` (find.name.regexp cannot narrow a Vault path)` : '';
  add(`${mount}/metadata/${under}`, tags ? ['read', 'list'] : ['list'], `${a.by} (find${narrowed})`);
  add(`${mount}/data/${under}`, ['read'], `${a.by} (find)`);
}

/** The capability Vault checks for the generator's HTTP method. */
function methodCapability(method: string): Capability {
  switch (method) {
    case 'LIST':
      return 'list';
    case 'POST':
    case 'PUT':
      return 'update';
    case 'DELETE':
      return 'delete';
    default:
      return 'read';
  }
}

export function hclString(s: string): string {
  return JSON.stringify(s);
}

/** The policy text: a header, then one commented block per path. */
export function vaultHcl(id: Identity, rules: readonly VaultRule[], header: readonly string[]): string {
  const spec = (id.provider.vault ?? {}) as VaultSpec;
  const lines = header.map((h) => `# ${h}`);
  if (spec.namespace)
    lines.push(`# Load it in Vault namespace ${spec.namespace} (provider.vault.namespace).`);
  for (const r of rules) {
    lines.push('');
    for (const by of [...r.by].sort(cmp)) lines.push(`# ${by}`);
    const caps = ORDER.filter((c) => r.capabilities.has(c)).map(hclString);
    lines.push(`path ${hclString(r.path)} {`, `  capabilities = [${caps.join(', ')}]`, '}');
  }
  return `${lines.join('\n')}\n`;
}

/** The `path` blocks of a policy text (what `--check` compares); comments and order ignored. */
export function parseHclPaths(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const noComments = text
    .split('\n')
    .map((l) => l.replace(/^\s*(#|\/\/).*$/, ''))
    .join('\n');
  const block = /path\s+"((?:[^"\\]|\\.)*)"\s*\{([^}]*)\}/g;
  for (const m of noComments.matchAll(block)) {
    let path: string;
    try {
      path = JSON.parse(`"${m[1] ?? ''}"`) as string;
    } catch {
      continue;
    }
    const caps = /capabilities\s*=\s*\[([^\]]*)\]/.exec(m[2] ?? '');
    const set = out.get(path) ?? new Set<string>();
    for (const c of (caps?.[1] ?? '').matchAll(/"([^"]*)"/g)) set.add(c[1] ?? '');
    out.set(path, set);
  }
  return out;
}

/** What `live` lacks of `wanted`, and what it grants beyond it, one line each. */
export function compareVault(
  wanted: readonly VaultRule[],
  live: Map<string, Set<string>>,
): { missing: string[]; broader: string[] } {
  const missing: string[] = [];
  const broader: string[] = [];
  const want = new Map(wanted.map((r) => [r.path, r.capabilities as Set<string>]));
  for (const [path, caps] of want) {
    // Vault grants a path the union of its exact block and the globs that match it.
    const have = new Set<string>();
    for (const [p, c] of live) if (p === path || globMatches(p, path)) for (const x of c) have.add(x);
    if (have.has('deny')) have.clear();
    const lacks = [...caps].filter((c) => !have.has(c) && !have.has('sudo') && !have.has('root'));
    if (lacks.length > 0) missing.push(`path "${path}": ${lacks.join(', ')}`);
  }
  for (const [path, caps] of [...live].sort(([a], [b]) => cmp(a, b))) {
    const needed = want.get(path);
    if (!needed) {
      if (caps.size > 0 && !caps.has('deny'))
        broader.push(`path "${path}": ${[...caps].join(', ')} (not needed)`);
      continue;
    }
    const extra = [...caps].filter((c) => !needed.has(c));
    if (extra.length > 0) broader.push(`path "${path}": ${extra.join(', ')} (not needed)`);
  }
  return { missing, broader };
}

/** Vault's path patterns: `+` is one segment, a trailing `*` any suffix. */
export function globMatches(pattern: string, path: string): boolean {
  const prefix = pattern.endsWith('*');
  const pat = (prefix ? pattern.slice(0, -1) : pattern).split('/');
  const parts = path.split('/');
  if (!prefix && pat.length !== parts.length) return false;
  if (pat.length > parts.length) return false;
  for (let i = 0; i < pat.length; i++) {
    const p = pat[i] ?? '';
    const s = parts[i] ?? '';
    const last = i === pat.length - 1;
    if (p === '+') continue;
    if (last && prefix ? !s.startsWith(p) : p !== s) return false;
  }
  return prefix || pat.length === parts.length;
}
