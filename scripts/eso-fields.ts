// Regenerates src/api/crd/testing/eso-fields.json: the field paths and enum values of ESO's
// external-secrets.io CRDs (the served version, v1), per kind, as the schema-coverage test
// (src/api/crd/coverage.test.ts) reads them. The data are API names, facts of ESO's API; this
// script is Syncret's.
//
//   node --experimental-strip-types scripts/eso-fields.ts [ESO_GIT_DIR] [TAG]
//
// ESO_GIT_DIR is a clone or bare mirror of github.com/external-secrets/external-secrets
// (default: the fetched mirror under /work/.mirror), TAG defaults to v2.9.0. Paths are
// written as the test writes Syncret's: `.` into an object's properties, `[]` into array
// items, `{}` into map values, starting at `spec`.

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format } from 'prettier';
import { parse } from 'yaml';

interface Node {
  enum?: unknown[];
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
}

interface CRD {
  spec: {
    names: { kind: string };
    versions: { name: string; served: boolean; schema: { openAPIV3Schema: Node } }[];
  };
}

const FILES = ['externalsecrets', 'clusterexternalsecrets', 'secretstores', 'clustersecretstores'];
const gitDir = process.argv[2] ?? '/work/.mirror/external-secrets+external-secrets/repo';
const tag = process.argv[3] ?? 'v2.9.0';
const out = fileURLToPath(new URL('../src/api/crd/testing/eso-fields.json', import.meta.url));

function walk(node: Node, path: string, paths: string[], enums: Record<string, string[]>): void {
  paths.push(path);
  if (node.enum) enums[path] = node.enum.map(String);
  for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, `${path}.${k}`, paths, enums);
  if (node.items) walk(node.items, `${path}[]`, paths, enums);
  if (node.additionalProperties && typeof node.additionalProperties === 'object')
    walk(node.additionalProperties, `${path}{}`, paths, enums);
}

const kinds: Record<string, { version: string; paths: string[]; enums: Record<string, string[]> }> = {};
for (const file of FILES) {
  const text = execFileSync('git', [
    '-C',
    gitDir,
    'show',
    `${tag}:config/crds/bases/external-secrets.io_${file}.yaml`,
  ]).toString('utf8');
  const crd = parse(text) as CRD;
  // ESO 2.9 serves one version of each kind (v1); that is the API manifests are written against.
  const served = crd.spec.versions.filter((v) => v.served);
  if (served.length !== 1) throw new Error(`${file}: expected one served version, got ${served.length}`);
  const version = served[0]!;
  const spec = version.schema.openAPIV3Schema.properties?.spec;
  if (!spec) throw new Error(`${file}: no spec schema`);
  const paths: string[] = [];
  const enums: Record<string, string[]> = {};
  walk(spec, 'spec', paths, enums);
  kinds[crd.spec.names.kind] = { version: version.name, paths, enums };
}

const data = {
  source: `github.com/external-secrets/external-secrets ${tag} config/crds/bases (served version, spec only)`,
  kinds,
};
const config = { singleQuote: true, printWidth: 110, trailingComma: 'all' as const };
writeFileSync(out, await format(JSON.stringify(data), { ...config, parser: 'json' }));
for (const [kind, k] of Object.entries(kinds))
  console.log(`${kind} ${k.version}: ${k.paths.length} paths, ${Object.keys(k.enums).length} enums`);
