#!/usr/bin/env bash
# Static checks of the packaging (make test-packaging; part of make test):
#   - helm lint --strict, default and CI values;
#   - helm template for several value sets, kubectl kustomize for the base and every overlay,
#     each validated by kubeconform -strict against the Kubernetes version the e2e control plane
#     runs and our own CRD schemas;
#   - values.schema.json rejects bad values with a clear message;
#   - the chart README lists every value (generated from values.yaml);
#   - the chart's crds/ and the templated CRDs equal crds/; the chart version follows package.json;
#   - RBAC: no rendering grants more than config/rbac (what the operator uses), nor `*`;
#   - the PrometheusRule's rules pass `promtool check rules` and the unit tests in
#     e2e/tools/packaging/alerts.test.yaml (`promtool test rules`);
#   - self-tests: kubeconform and the RBAC check do fail on bad input.
set -euo pipefail
cd "$(dirname "$0")/../.."
K8S_VERSION="${K8S_VERSION:-v1.34.4}"
CACHE="${SYNCRET_CACHE:-$HOME/.cache/syncret}"
CHART=charts/syncret
t0=$SECONDS

log() { printf '[packaging %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

HELM=$(bash e2e/tools/build-tools.sh helm)
KUBECONFORM=$(bash e2e/tools/build-tools.sh kubeconform)
PROMTOOL=$(bash e2e/tools/build-tools.sh promtool)
KUBECTL="$CACHE/bin/k8s-$K8S_VERSION/kubectl"
[[ -x "$KUBECTL" ]] || KUBECTL=$(bash e2e/tools/build-bins.sh kubectl >/dev/null && echo "$KUBECTL")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/syncret-packaging.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# ---- schemas: the built-in kinds from the k8s.io/kubernetes module's OpenAPI document (the one
# the control plane is built from; `go mod download` is instant when build-bins.sh fetched it).
SCHEMAS="$CACHE/schemas/k8s-$K8S_VERSION"
if [[ ! -f "$SCHEMAS/.done" ]]; then
  log "writing Kubernetes $K8S_VERSION JSON schemas to $SCHEMAS (first time only)"
  dir=$(cd "$TMP" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Dir": "\([^"]*\)".*/\1/p')
  [[ -f "$dir/api/openapi-spec/swagger.json" ]] || fail "no api/openapi-spec/swagger.json in k8s.io/kubernetes@$K8S_VERSION ($dir)"
  rm -rf "$SCHEMAS.tmp" && mkdir -p "$SCHEMAS.tmp"
  node e2e/tools/packaging/schemas.ts --builtin "$dir/api/openapi-spec/swagger.json" "$SCHEMAS.tmp" >&2
  touch "$SCHEMAS.tmp/.done" && rm -rf "$SCHEMAS" && mv "$SCHEMAS.tmp" "$SCHEMAS"
fi
# Our CRDs change with the code: their schemas are written fresh each run, next to a copy of
# the built-in ones (kubeconform takes one location per kind, tried in order).
node e2e/tools/packaging/schemas.ts --crds crds "$TMP/crd-schemas" >/dev/null
[[ -f "$TMP/crd-schemas/externalsecret-external-secrets-v1.json" ]] || fail "no CRD schemas written"
# The Prometheus Operator's kinds the chart can render (ServiceMonitor, PrometheusRule), from its
# module's CRDs (once per version, like the built-in kinds).
PROMOP_VERSION="${PROMOP_VERSION:-v0.85.0}"
PROMOP_SCHEMAS="$CACHE/schemas/prometheus-operator-$PROMOP_VERSION"
if [[ ! -f "$PROMOP_SCHEMAS/.done" ]]; then
  log "writing Prometheus Operator $PROMOP_VERSION CRD schemas to $PROMOP_SCHEMAS (first time only)"
  dir=$(cd "$TMP" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "github.com/prometheus-operator/prometheus-operator@$PROMOP_VERSION" | sed -n 's/.*"Dir": "\([^"]*\)".*/\1/p')
  mkdir -p "$TMP/promop-crds"
  for k in servicemonitors prometheusrules; do
    cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_$k.yaml" "$TMP/promop-crds/" || fail "no $k CRD in prometheus-operator@$PROMOP_VERSION"
  done
  rm -rf "$PROMOP_SCHEMAS.tmp" && mkdir -p "$PROMOP_SCHEMAS.tmp"
  node e2e/tools/packaging/schemas.ts --crds "$TMP/promop-crds" "$PROMOP_SCHEMAS.tmp" >&2
  touch "$PROMOP_SCHEMAS.tmp/.done" && rm -rf "$PROMOP_SCHEMAS" && mv "$PROMOP_SCHEMAS.tmp" "$PROMOP_SCHEMAS"
fi

kubeconform() {
  "$KUBECONFORM" -strict -summary -output text \
    -schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$TMP/crd-schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -schema-location "$PROMOP_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" "$@"
}

# ---- chart metadata and generated files
want_version=$(node -p 'require("./package.json").version')
chart_version=$(sed -n 's/^version: *//p' $CHART/Chart.yaml)
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' $CHART/Chart.yaml)
[[ "$chart_version" == "$want_version" && "$app_version" == "$want_version" ]] ||
  fail "Chart.yaml version $chart_version / appVersion $app_version differ from package.json $want_version"
diff -r --exclude=Kustomization crds $CHART/crds >/dev/null || fail "$CHART/crds differs from crds/: run \`make crds\`"
node e2e/tools/packaging/chart-docs.ts --check $CHART
node --experimental-strip-types scripts/gen-dashboard.ts --check
log "chart metadata, crds/ copy, dashboard and README current"

# ---- helm lint and template
"$HELM" lint --strict $CHART >/dev/null || "$HELM" lint --strict $CHART
"$HELM" lint --strict $CHART -f $CHART/ci/full-values.yaml >/dev/null || "$HELM" lint --strict $CHART -f $CHART/ci/full-values.yaml
mkdir -p "$TMP/render"
render() { # NAME ARGS...: helm template into $TMP/render/NAME.yaml
  local name="$1"; shift
  "$HELM" template syncret $CHART --namespace syncret-system --kube-version "$K8S_VERSION" "$@" >"$TMP/render/chart-$name.yaml"
}
render default --include-crds
render full -f $CHART/ci/full-values.yaml
render namespaced --set 'scope.namespaces={team-a,team-b}' --set replicaCount=2 --set podDisruptionBudget.enabled=true
render monitoring --set metrics.serviceMonitor.enabled=true --set grafanaDashboard.enabled=true --set prometheusRule.enabled=true --set metrics.perObject=true
# Sharded: every replica active, the leader election Role (member Leases) rendered without leaderElection.
render sharded --set sharding.replicas=3 --set leaderElection.enabled=false
render no-leader --set leaderElection.enabled=false --set metrics.service.enabled=false --set serviceAccount.create=false --set serviceAccount.name=existing --set rolloutRestarts.enabled=false
# Exec mode copies the image's single executable unless told not to (injector.singleExecutable).
grep -q -- '- --single-executable$' "$TMP/render/chart-full.yaml" || fail "the injector has no --single-executable by default"
"$HELM" template syncret $CHART -f $CHART/ci/full-values.yaml --set injector.singleExecutable=false | grep -q -- '--single-executable' &&
  fail "injector.singleExecutable=false still passes --single-executable"
for k in default ha namespaced; do
  d=config/$k; [[ $k == default ]] || d=config/overlays/$k
  "$KUBECTL" kustomize "$d" >"$TMP/render/kustomize-$k.yaml"
done
for f in "$TMP"/render/*.yaml; do
  out=$(kubeconform "$f" 2>&1) || { echo "$out" >&2; fail "kubeconform: $(basename "$f")"; }
  log "kubeconform $(basename "$f" .yaml): ${out##*Summary: }"
done

# The templated CRDs are the files in crds/, only labelled (and annotated to be kept).
node -e '
  const { parseAllDocuments } = await import("yaml");
  const fs = await import("node:fs");
  const docs = (t) => parseAllDocuments(t).map((d) => d.toJS()).filter((o) => o?.kind === "CustomResourceDefinition");
  // Key order differs (Helm sorts keys): compare canonical JSON.
  const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon(v[k])])) : v;
  const strip = (o) => { delete o.metadata.labels; delete o.metadata.annotations; return JSON.stringify(canon(o)); };
  const want = new Map(fs.readdirSync("crds").filter((f) => f.endsWith(".yaml")).flatMap((f) => docs(fs.readFileSync("crds/" + f, "utf8"))).map((o) => [o.metadata.name, strip(o)]));
  const got = docs(fs.readFileSync(process.argv[1], "utf8"));
  if (got.length !== want.size) { console.error(`templated CRDs: ${got.length}, crds/: ${want.size}`); process.exit(1); }
  for (const o of got) {
    if (o.metadata.annotations?.["helm.sh/resource-policy"] !== "keep") { console.error(`${o.metadata.name}: no keep policy`); process.exit(1); }
    if (strip(o) !== want.get(o.metadata.name)) { console.error(`templated CRD ${o.metadata.name} differs from crds/`); process.exit(1); }
  }
' "$TMP/render/chart-full.yaml" || fail "templated CRDs"

# ---- alert rules: the rendered PrometheusRule's groups, checked and unit-tested by promtool
node -e '
  const { parseAllDocuments } = await import("yaml");
  const fs = await import("node:fs");
  const rule = parseAllDocuments(fs.readFileSync(process.argv[1], "utf8")).map((d) => d.toJS()).find((o) => o?.kind === "PrometheusRule");
  if (!rule) { console.error("no PrometheusRule rendered"); process.exit(1); }
  fs.writeFileSync(process.argv[2], JSON.stringify({ groups: rule.spec.groups }, null, 2));
' "$TMP/render/chart-monitoring.yaml" "$TMP/rules.yaml" || fail "extracting the PrometheusRule"
cp e2e/tools/packaging/alerts.test.yaml "$TMP/alerts.test.yaml"
out=$("$PROMTOOL" check rules "$TMP/rules.yaml" 2>&1) || { echo "$out" >&2; fail "promtool check rules"; }
out=$(cd "$TMP" && "$PROMTOOL" test rules alerts.test.yaml 2>&1) || { echo "$out" >&2; fail "promtool test rules"; }
# Self-test: a wrong expectation fails.
sed 's/description: 30% of syncs failed/description: 31% of syncs failed/' e2e/tools/packaging/alerts.test.yaml >"$TMP/alerts-bad.test.yaml"
(cd "$TMP" && "$PROMTOOL" test rules alerts-bad.test.yaml >/dev/null 2>&1) && fail "self-test: promtool test rules passed a wrong expectation"
log "alert rules: $(grep -c '"alert"' "$TMP/rules.yaml") alerts pass promtool check and $(grep -c '^  - name:' e2e/tools/packaging/alerts.test.yaml) rule test groups"

# ---- values.schema.json: bad values fail at install time, with a message naming the value
expect_reject() { # MESSAGE-REGEX HELM-ARGS...
  local want="$1" out; shift
  if out=$("$HELM" template syncret $CHART "$@" 2>&1); then fail "helm template $* succeeded; expected: $want"; fi
  grep -qE -- "$want" <<<"$out" || { echo "$out" >&2; fail "helm template $*: error does not match /$want/"; }
}
expect_reject "'/replicaCount': minimum" --set replicaCount=0
expect_reject "'/log/level': value must be one of" --set log.level=verbose
expect_reject "'/leaderElection/enabled': value must be true" --set replicaCount=2 --set leaderElection.enabled=false
expect_reject "additional properties 'concurency' not allowed" --set concurency=4
expect_reject "'/leaderElection/leaseDuration'" --set leaderElection.leaseDuration=15
expect_reject "'/scope/namespaces/0'" --set 'scope.namespaces={Team_A}'
expect_reject "'/image/digest'" --set image.digest=latest
expect_reject "'/resources'" --set resources.request.cpu=1
expect_reject "'/metrics/port'" --set metrics.port=70000
expect_reject "'/extraEnv/0'" --set 'extraEnv[0].value=x'
expect_reject "serviceAccount.name is required" --set serviceAccount.create=false
expect_reject "'/prometheusRule/syncErrorRatio'" --set prometheusRule.syncErrorRatio=2
expect_reject "'/prometheusRule/notReadyFor'" --set prometheusRule.notReadyFor=soon
expect_reject "'/injector/singleExecutable'" --set injector.singleExecutable=yes
log "values.schema.json rejects 13 kinds of bad values"

# ---- RBAC: nothing beyond config/rbac, never "*"
node e2e/tools/packaging/rbac-check.ts config/rbac "$TMP"/render/*.yaml

# ---- self-tests: the checks above must be able to fail
sed 's/^  replicas: 1$/  replicas: 1\n  replica: 2/' "$TMP/render/chart-default.yaml" >"$TMP/bad-field.yaml"
grep -q '^  replica: 2$' "$TMP/bad-field.yaml" || fail "self-test: could not inject an unknown field"
kubeconform "$TMP/bad-field.yaml" >/dev/null 2>&1 && fail "self-test: kubeconform -strict accepted an unknown Deployment field"
cat >"$TMP/bad-es.yaml" <<'EOF'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: x, namespace: y}
spec:
  secretStoreRef: {name: s}
  refreshIntervall: 1h
EOF
kubeconform "$TMP/bad-es.yaml" >/dev/null 2>&1 && fail "self-test: kubeconform -strict accepted an unknown ExternalSecret field"
sed 's/^    - name: syncret$/    - name: syncret\n      intervall: 1m/' "$TMP/render/chart-monitoring.yaml" >"$TMP/bad-rule.yaml"
grep -q '^      intervall: 1m$' "$TMP/bad-rule.yaml" || fail "self-test: could not inject an unknown PrometheusRule field"
kubeconform "$TMP/bad-rule.yaml" >/dev/null 2>&1 && fail "self-test: kubeconform -strict accepted an unknown PrometheusRule field"
{ cat "$TMP/render/chart-default.yaml"; cat <<'EOF'
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: too-much}
rules:
  - apiGroups: ['']
    resources: [secrets, pods]
    verbs: ['*']
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: too-much}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: too-much}
subjects: [{kind: ServiceAccount, name: syncret, namespace: syncret-system}]
EOF
} >"$TMP/bad-rbac.yaml"
out=$(node e2e/tools/packaging/rbac-check.ts config/rbac "$TMP/bad-rbac.yaml" 2>&1) && fail "self-test: the RBAC check accepted '*'"
grep -q "wildcard" <<<"$out" && grep -q "core/pods" <<<"$out" || { echo "$out" >&2; fail "self-test: RBAC check output"; }
sed 's/--namespace=syncret-demo/--namespace=syncret-demo,other/' "$TMP/render/kustomize-namespaced.yaml" >"$TMP/bad-scope.yaml"
node e2e/tools/packaging/rbac-check.ts config/rbac "$TMP/bad-scope.yaml" >/dev/null 2>&1 &&
  fail "self-test: the RBAC check missed a watched namespace without a Role"
log "self-tests: kubeconform and the RBAC check fail on bad input"

log "packaging checks passed in $((SECONDS - t0))s"
