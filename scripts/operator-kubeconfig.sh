#!/usr/bin/env bash
# Writes a kubeconfig for the operator's own ServiceAccount (syncret-system/syncret), so a
# locally run operator has exactly the RBAC from config/rbac, never the admin's rights.
#   operator-kubeconfig.sh ADMIN_KUBECONFIG OUT_FILE
set -euo pipefail
admin="$1" out="$2"
token=$(kubectl --kubeconfig "$admin" create token syncret -n syncret-system --duration 24h)
server=$(kubectl --kubeconfig "$admin" config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kubectl --kubeconfig "$admin" config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
umask 077
cat >"$out" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: $server, certificate-authority-data: $ca}
users:
- name: syncret
  user: {token: $token}
contexts:
- name: syncret
  context: {cluster: local, user: syncret}
current-context: syncret
KC
