// ESO 2.9 fields and enum values Syncret does not declare, each with the reason. Keys are
// `<Kind> <path>` (a path covers its subtree), `<Kind> <path>=<Value>` for one enum value, or
// `<Kind> <path> (enum)` where Syncret closes an enum ESO leaves open. Read by
// ../coverage.test.ts, which fails on a gap missing here and on an entry no longer needed.
// docs/COMPATIBILITY.md lists the same gaps for users.

/** ExternalSecret spec paths; ClusterExternalSecret embeds the same spec. */
const ES_GAPS: Record<string, string> = {};

const STORE_GAPS: Record<string, string> = {
  'spec.provider.gcpsm.secretVersionSelectionPolicy (enum)':
    'Syncret lists the two values ESO implements (LatestOrFail, LatestOrFetch); ESO takes any string and treats every other value as LatestOrFail',
};

const SELECTOR_ENUM =
  'Syncret closes the operator to the four Kubernetes defines (In, NotIn, Exists, DoesNotExist); ESO leaves the schema open but its selector conversion fails on any other value, so no manifest that works with ESO is refused';

export const ESO_GAPS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(ES_GAPS).map(([p, r]) => [`ExternalSecret ${p}`, r])),
  ...Object.fromEntries(
    Object.entries(ES_GAPS).map(([p, r]) => [
      `ClusterExternalSecret ${p.replace(/^spec\./, 'spec.externalSecretSpec.')}`,
      r,
    ]),
  ),
  'ClusterExternalSecret spec.namespaceSelector.matchExpressions[].operator (enum)': SELECTOR_ENUM,
  'ClusterExternalSecret spec.namespaceSelectors[].matchExpressions[].operator (enum)': SELECTOR_ENUM,
  ...Object.fromEntries(Object.entries(STORE_GAPS).map(([p, r]) => [`SecretStore ${p}`, r])),
  ...Object.fromEntries(Object.entries(STORE_GAPS).map(([p, r]) => [`ClusterSecretStore ${p}`, r])),
  'SecretStore spec.conditions':
    'refused on purpose: a SecretStore serves only its own namespace; ESO accepts conditions there and ignores them, Syncret rejects them so nobody believes they restrict access (ClusterSecretStore has them)',
  'ClusterSecretStore spec.conditions[].namespaceSelector.matchExpressions[].operator (enum)': SELECTOR_ENUM,
};
