// Writes kubeconform JSON schemas (strict: unknown fields are errors) for
//   - the built-in kinds, from the OpenAPI v2 document of the k8s.io/kubernetes module in the Go
//     module cache (the version the e2e control plane is built from; build-bins.sh downloads it),
//   - our own kinds, from crds/ (every served version).
// kubeconform's default schemas come from GitHub, which CI cannot reach.
//
// Usage: node e2e/tools/packaging/schemas.ts [--builtin SWAGGER_JSON] [--crds CRD_DIR] OUT_DIR
// kubeconform then takes -schema-location 'OUT_DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json'.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Schema = { [key: string]: unknown };

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

const isObject = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** kubeconform's file name: kind, the first label of the group, the version; all lowercase. */
export function schemaFileName({ group, version, kind }: Gvk): string {
  const g = group === '' ? '' : `-${group.split('.')[0]}`;
  return `${kind}${g}-${version}.json`.toLowerCase();
}

/**
 * Adds additionalProperties: false to every object schema that lists its properties and says
 * nothing about others (kubeconform's -strict only works with such "strict" schemas), and lets
 * the apiserver's lenient types through: int-or-string and quantities accept numbers too.
 */
function strictify(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictify);
  if (!isObject(node)) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    // Properties are names, not schemas with keywords: recurse into each value only.
    if (k === 'properties' && isObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, strictify(s)]));
    } else if (k === 'description' || k === 'example' || k === 'default' || k === 'enum') {
      if (k !== 'description') out[k] = v;
    } else {
      out[k] = strictify(v);
    }
  }
  if (out.format === 'int-or-string' || out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    delete out.format;
    out.oneOf = [{ type: 'string' }, { type: 'integer' }];
  }
  // OpenAPI's nullable is not JSON Schema: spell it as a union with null.
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
  }
  if (
    isObject(out.properties) &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  )
    out.additionalProperties = false;
  return out;
}

/** Every definition reachable from `root` through $ref, with refs rewritten to local ones. */
function closure(defs: Record<string, Schema>, root: string): Record<string, unknown> {
  const seen = new Map<string, unknown>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const def = defs[name];
    if (!def) throw new Error(`swagger: missing definition ${name}`);
    seen.set(name, undefined);
    const rewrite = (n: unknown): unknown => {
      if (Array.isArray(n)) return n.map(rewrite);
      if (!isObject(n)) return n;
      const o: Schema = {};
      for (const [k, v] of Object.entries(n)) {
        if (k === '$ref' && typeof v === 'string') {
          const target = v.replace('#/definitions/', '');
          visit(target);
          o[k] = `#/definitions/${target}`;
        } else o[k] = rewrite(v);
      }
      return o;
    };
    seen.set(name, rewrite(def));
  };
  visit(root);
  return Object.fromEntries(seen);
}

function quantity(): Schema {
  return { oneOf: [{ type: 'string' }, { type: 'number' }] };
}

export function builtinSchemas(swagger: { definitions: Record<string, Schema> }): Map<string, Schema> {
  const defs = { ...swagger.definitions };
  // Quantities are strings in OpenAPI, but manifests write `cpu: 1`.
  defs['io.k8s.apimachinery.pkg.api.resource.Quantity'] = quantity();
  const out = new Map<string, Schema>();
  for (const [name, def] of Object.entries(defs)) {
    const gvks = def['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks)) continue;
    const definitions = closure(defs, name);
    const root = definitions[name] as Schema;
    delete definitions[name];
    for (const gvk of gvks as Gvk[]) {
      const schema = strictify({ ...root, definitions: { ...definitions, [name]: root } }) as Schema;
      out.set(schemaFileName(gvk), schema);
    }
  }
  return out;
}

export function crdSchemas(crdDir: string): Map<string, Schema> {
  const out = new Map<string, Schema>();
  for (const f of readdirSync(crdDir).filter((n) => n.endsWith('.yaml'))) {
    for (const doc of parseAllDocuments(readFileSync(join(crdDir, f), 'utf8'))) {
      const crd = doc.toJS() as {
        kind?: string;
        spec?: {
          group: string;
          names: { kind: string };
          versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Schema } }[];
        };
      };
      if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      for (const v of crd.spec.versions) {
        const schema = v.schema?.openAPIV3Schema;
        if (!v.served || !schema) continue;
        const props = isObject(schema.properties) ? schema.properties : {};
        // The apiserver accepts any ObjectMeta, and the CRD schema says only `type: object`.
        const full = {
          ...schema,
          properties: {
            ...props,
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            metadata: { type: 'object' },
          },
        };
        out.set(
          schemaFileName({ group: crd.spec.group, version: v.name, kind: crd.spec.names.kind }),
          strictify(full) as Schema,
        );
      }
    }
  }
  return out;
}

function main(argv: string[]): void {
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    argv.splice(i, 2);
    return v;
  };
  const swaggerPath = opt('--builtin');
  const crdDir = opt('--crds');
  const [outDir] = argv;
  if (!outDir || (!swaggerPath && !crdDir)) {
    console.error('usage: schemas.ts [--builtin SWAGGER_JSON] [--crds CRD_DIR] OUT_DIR');
    process.exit(2);
  }
  mkdirSync(outDir, { recursive: true });
  const all = new Map<string, Schema>();
  if (swaggerPath) {
    const swagger = JSON.parse(readFileSync(swaggerPath, 'utf8')) as { definitions: Record<string, Schema> };
    for (const [f, s] of builtinSchemas(swagger)) all.set(f, s);
  }
  if (crdDir) for (const [f, s] of crdSchemas(crdDir)) all.set(f, s);
  for (const [file, schema] of all) writeFileSync(join(outDir, file), JSON.stringify(schema));
  console.log(`[schemas] ${all.size} schemas in ${outDir}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
