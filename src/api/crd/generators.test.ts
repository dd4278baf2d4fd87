// The generator CRDs against ESO 2.9's: every kind, plural and scope, every field path of
// spec and every enum value ESO's schema has (./testing/eso-generators.ts), and the shape
// ClusterGenerator shares with the kinds it wraps.

import { describe, expect, it } from '@jest/globals';
import { GENERATOR_KIND_NAMES, WRAPPABLE_GENERATOR_KINDS } from '../generators/index.js';
import type { Schema } from '../schema.js';
import { clusterGeneratorCRD, generatorCRDs } from './generators.js';
import { ESO_GENERATOR_CRDS } from './testing/eso-generators.js';

const crds = new Map(generatorCRDs().map((c) => [c.spec.names.kind, c]));
const specOf = (kind: string): Schema =>
  crds.get(kind)!.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;

/** Syncret's paths (with enum values), written as the fixture writes ESO's. */
function paths(node: Schema, p: string, out: Set<string>): Set<string> {
  out.add(p + (node.enum ? ` enum=${node.enum.join(',')}` : ''));
  for (const [k, v] of Object.entries(node.properties ?? {})) paths(v, `${p}.${k}`, out);
  if (node.items) paths(node.items, `${p}[]`, out);
  if (node.additionalProperties) paths(node.additionalProperties, `${p}{}`, out);
  return out;
}

describe('generator CRDs (ESO 2.9 coverage)', () => {
  it('serves every kind ESO has, with its plural and scope, v1alpha1 only', () => {
    expect([...crds.keys()].sort()).toEqual(Object.keys(ESO_GENERATOR_CRDS).sort());
    for (const [kind, eso] of Object.entries(ESO_GENERATOR_CRDS)) {
      const crd = crds.get(kind)!;
      expect({ kind, plural: crd.spec.names.plural, scope: crd.spec.scope }).toEqual({
        kind,
        plural: eso.plural,
        scope: eso.scope,
      });
      expect(crd.spec.versions.map((v) => v.name)).toEqual(['v1alpha1']);
      expect(crd.spec.names.categories).toEqual(['external-secrets', 'external-secrets-generators']);
    }
  });

  it('has every field path and enum value of ESO spec schemas', () => {
    let total = 0;
    const missing: string[] = [];
    for (const [kind, eso] of Object.entries(ESO_GENERATOR_CRDS)) {
      const ours = paths(specOf(kind), 'spec', new Set());
      for (const p of eso.paths) {
        total++;
        if (!ours.has(p)) missing.push(`${kind} ${p}`);
      }
    }
    console.log(`generator CRD coverage: ${total - missing.length}/${total} ESO 2.9 spec paths`);
    expect(missing).toEqual([]);
  });

  it('requires nothing ESO fills with a default (a manifest without them applies)', () => {
    expect(specOf('Password').required).toBeUndefined();
    expect(specOf('SSHKey').required).toBeUndefined();
  });

  it('wraps each kind in ClusterGenerator with that kind’s own spec schema', () => {
    const generator =
      clusterGeneratorCRD().spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!.properties!.generator!;
    for (const kind of WRAPPABLE_GENERATOR_KINDS)
      expect(generator.properties![GENERATOR_KIND_NAMES[kind].clusterField]).toEqual(specOf(kind));
    expect(generator['x-kubernetes-validations']?.[0]?.message).toBe('generator must set exactly one spec');
  });
});
