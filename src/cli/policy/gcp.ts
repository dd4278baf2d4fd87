// GCP Secret Manager IAM bindings for the accesses of one identity (provider.gcpsm), from the
// calls src/providers/gcpsm/index.ts makes: AccessSecretVersion (secretAccessor) on each secret
// read, GetSecret and ListSecretVersions (viewer) on the secret for metadataPolicy Fetch and
// for LatestOrFetch, ListSecrets (viewer, which is project-wide) for find, whose reads then
// need secretAccessor on the project, conditioned on the name prefix when find.path gives one.
// Written as YAML (a list of bindings) and as Terraform (google provider resources).

import YAML from 'yaml';
import { parseKey, storeParent } from '../../providers/gcpsm/names.js';
import { cmp } from './usage.js';
import type { Identity } from './usage.js';

export const ACCESSOR = 'roles/secretmanager.secretAccessor';
export const VIEWER = 'roles/secretmanager.viewer';

export interface GcpBinding {
  /** projects/P, or a secret: projects/P[/locations/L]/secrets/S. */
  resource: string;
  role: string;
  condition?: { title: string; expression: string };
  by: string[];
}

interface GcpSpec {
  projectID?: string;
  location?: string;
  secretVersionSelectionPolicy?: string;
  auth?: { workloadIdentityFederation?: { gcpServiceAccountEmail?: string } };
}

/** Who the bindings are for: a service account the store names, else the one given, else a placeholder. */
export function gcpMember(id: Identity, given: string | undefined): string | undefined {
  if (given) return given;
  const email = ((id.provider.gcpsm ?? {}) as GcpSpec).auth?.workloadIdentityFederation
    ?.gcpServiceAccountEmail;
  return email ? `serviceAccount:${email}` : undefined;
}

/** The bindings, sorted by resource, role and condition; a bad key is a warning. */
export function gcpBindings(id: Identity, warnings: string[]): GcpBinding[] {
  const spec = (id.provider.gcpsm ?? {}) as GcpSpec;
  const project = spec.projectID ?? '';
  const parent = storeParent(project, spec.location || undefined);
  const out = new Map<string, GcpBinding>();
  const add = (resource: string, role: string, by: string, condition?: GcpBinding['condition']) => {
    const key = `${resource}\n${role}\n${condition?.expression ?? ''}`;
    let b = out.get(key);
    if (!b) out.set(key, (b = { resource, role, ...(condition ? { condition } : {}), by: [] }));
    if (!b.by.includes(by)) b.by.push(by);
  };
  for (const a of id.accesses) {
    if (a.op === 'get') {
      let name;
      try {
        name = parseKey(a.key, parent);
      } catch (e) {
        warnings.push(`${a.by}: ${(e as Error).message}`);
        continue;
      }
      const secret = `${name.parent}/secrets/${name.id}`;
      const by = `${a.by} (key ${a.key})`;
      if (a.metadata) add(secret, VIEWER, by);
      else {
        add(secret, ACCESSOR, by);
        if (spec.secretVersionSelectionPolicy === 'LatestOrFetch' && !a.version && !name.version)
          add(secret, VIEWER, `${by} (LatestOrFetch lists the versions)`);
      }
    } else if (a.op === 'find') {
      const by = `${a.by} (find)`;
      // ListSecrets is checked on the project (or location): no narrower grant exists.
      add(parent, VIEWER, by);
      const path = a.find.path;
      if (path) {
        // IAM evaluates Secret Manager names with the project number, which the manifests
        // do not hold: the YAML leaves a placeholder, Terraform looks the number up.
        const prefix = `${parent.replace(/^projects\/[^/]+/, 'projects/PROJECT_NUMBER')}/secrets/${path}`;
        add(parent, ACCESSOR, by, {
          title: `syncret-find-${path}`.slice(0, 100),
          expression: `resource.name.startsWith("${prefix}")`,
        });
      } else add(parent, ACCESSOR, `${by}: labels and name patterns cannot narrow an IAM grant`);
    }
  }
  if (out.size === 0) warnings.push(`${id.kind} ${id.name}: no reads to grant`);
  // A grant on the project without condition already covers its secrets: those go.
  const whole = [...out.values()].filter((b) => !b.condition && !b.resource.includes('/secrets/'));
  const covered = (b: GcpBinding): boolean => {
    const w = whole.find(
      (x) =>
        x !== b &&
        x.role === b.role &&
        (b.resource.startsWith(`${x.resource}/secrets/`) || (x.resource === b.resource && !!b.condition)),
    );
    if (w) for (const by of b.by) if (!w.by.includes(by)) w.by.push(by);
    return !!w;
  };
  for (const w of whole) w.by.sort(cmp);
  return [...out.values()]
    .filter((b) => !covered(b))
    .map((b) => ({ ...b, by: [...b.by].sort(cmp) }))
    .sort(
      (a, b) =>
        cmp(a.resource, b.resource) ||
        cmp(a.role, b.role) ||
        cmp(a.condition?.expression ?? '', b.condition?.expression ?? ''),
    );
}

const q = (s: string): string => JSON.stringify(s);

/** Terraform: one google_*_iam_member per binding, the member as a variable default. */
export function gcpTerraform(
  bindings: readonly GcpBinding[],
  member: string | undefined,
  header: readonly string[],
): string {
  const lines = header.map((h) => `# ${h}`);
  lines.push('', 'variable "member" {', '  type = string');
  if (member) lines.push(`  default = ${q(member)}`);
  lines.push('}');
  const projects = [...new Set(bindings.map((b) => /^projects\/([^/]+)/.exec(b.resource)?.[1] ?? ''))].sort(
    cmp,
  );
  const numbered = new Set(bindings.filter((b) => b.condition).map((b) => b.resource.split('/')[1]));
  projects.forEach((p, i) => {
    if (numbered.has(p)) lines.push('', `data "google_project" "p${i}" {`, `  project_id = ${q(p)}`, '}');
  });
  bindings.forEach((b, i) => {
    const m = /^projects\/([^/]+)(?:\/locations\/([^/]+))?(?:\/secrets\/([^/]+))?$/.exec(b.resource)!;
    const [, project, location, secret] = m;
    const kind = secret
      ? location
        ? 'google_secret_manager_regional_secret_iam_member'
        : 'google_secret_manager_secret_iam_member'
      : 'google_project_iam_member';
    lines.push('');
    for (const by of b.by) lines.push(`# ${by}`);
    lines.push(`resource "${kind}" "b${i + 1}" {`, `  project = ${q(project!)}`);
    if (location && secret) lines.push(`  location = ${q(location)}`);
    if (secret) lines.push(`  secret_id = ${q(secret)}`);
    lines.push(`  role = ${q(b.role)}`, '  member = var.member');
    if (b.condition) {
      const n = projects.indexOf(project!);
      const expr = b.condition.expression.replace('PROJECT_NUMBER', `\${data.google_project.p${n}.number}`);
      lines.push(
        '  condition {',
        `    title = ${q(b.condition.title)}`,
        `    expression = ${q(expr)}`,
        '  }',
      );
    }
    lines.push('}');
  });
  return `${lines.join('\n')}\n`;
}

/** YAML: the member and the bindings, each with the entries that need it. */
export function gcpYaml(
  bindings: readonly GcpBinding[],
  member: string | undefined,
  header: readonly string[],
): string {
  const doc = {
    member: member ?? 'MEMBER',
    bindings: bindings.map((b) => ({
      resource: b.resource,
      role: b.role,
      ...(b.condition ? { condition: b.condition } : {}),
      neededBy: b.by,
    })),
  };
  const notes = [...header];
  if (!member) notes.push('MEMBER: the principal of the store (its auth names none; see --gcp-member).');
  if (bindings.some((b) => b.condition))
    notes.push('PROJECT_NUMBER: IAM conditions name Secret Manager resources by project number.');
  return `${notes.map((h) => `# ${h}`).join('\n')}\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}
