{{/* Chart name, overridable. */}}
{{- define "syncret.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the prefix of every resource name. */}}
{{- define "syncret.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "syncret.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "syncret.selectorLabels" -}}
app.kubernetes.io/name: {{ include "syncret.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "syncret.labels" -}}
helm.sh/chart: {{ include "syncret.chart" . }}
{{ include "syncret.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: syncret
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "syncret.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "syncret.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "syncret.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
RBAC rules, shared by the cluster-wide and the namespaced install. They are exactly the calls the
operator makes (config/rbac/role.yaml is the reference; CI fails if they differ or use "*").
*/}}

{{/* Rules for the namespaced kinds: ExternalSecrets, SecretStores, their Secrets and credentials. */}}
{{- define "syncret.rules.namespaced" -}}
# The API it serves: watched, never written except for status.
- apiGroups: [external-secrets.io]
  resources: [externalsecrets, secretstores]
  verbs: [get, list, watch]
- apiGroups: [external-secrets.io]
  resources: [externalsecrets/status, secretstores/status]
  verbs: [get, patch, update]
# Setting an ownerReference with blockOwnerDeletion on a Secret requires update on the
# owner's finalizers (OwnerReferencesPermissionEnforcement).
- apiGroups: [external-secrets.io]
  resources: [externalsecrets/finalizers]
  verbs: [update]
# The finalizer that revokes generator leases (dynamic secrets) when an ExternalSecret goes.
- apiGroups: [external-secrets.io]
  resources: [externalsecrets]
  verbs: [patch]
# PushSecrets: watched, status written, and ESO's deletion finalizer added and removed.
- apiGroups: [external-secrets.io]
  resources: [pushsecrets]
  verbs: [get, list, watch, patch]
- apiGroups: [external-secrets.io]
  resources: [pushsecrets/status]
  verbs: [get, patch, update]
# VaultDynamicSecret generators referenced by dataFrom[].sourceRef.generatorRef.
- apiGroups: [generators.external-secrets.io]
  resources: [vaultdynamicsecrets]
  verbs: [get, list, watch]
# The other generator kinds: read with a GET when an ExternalSecret uses them.
- apiGroups: [generators.external-secrets.io]
  resources:
    [
      acraccesstokens,
      beyondtrustworkloadcredentialsdynamicsecrets,
      cloudsmithaccesstokens,
      ecrauthorizationtokens,
      fakes,
      gcraccesstokens,
      githubaccesstokens,
      gitlabdeploytokens,
      grafanas,
      mfas,
      passwords,
      quayaccesstokens,
      sshkeys,
      stssessiontokens,
      uuids,
      webhooks,
    ]
  verbs: [get]
# Target Secrets (and credential Secrets of stores).
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, update, patch, delete]
{{ include "syncret.rules.credentials" . }}
{{- if .Values.rolloutRestarts.enabled }}
# Rollout restarts (docs/ROLLOUT.md): workloads watched (metadata only) and their pod-template
# annotations patched; no get, update or delete.
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets]
  verbs: [list, watch, patch]
- apiGroups: [argoproj.io]
  resources: [rollouts]
  verbs: [list, watch, patch]
{{- end }}
{{- if .Values.genericTargets.enabled }}
# target.manifest of another kind (--unsafe-allow-generic-targets): the objects Syncret
# writes instead of Secrets, watched by the managed label; ConfigMaps, and the kinds listed.
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch, create, update, delete]
{{- range .Values.genericTargets.resources }}
- apiGroups: [{{ .apiGroup | quote }}]
  resources: [{{ join ", " .resources }}]
  verbs: [{{ join ", " (.verbs | default (list "get" "list" "watch" "create" "update" "delete")) }}]
{{- end }}
{{- end }}
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{/* Credentials a store may reference outside the watched objects. */}}
{{- define "syncret.rules.credentials" -}}
# CA bundles referenced by caProvider.
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get]
# ServiceAccount annotations (e.g. IRSA role ARN) and tokens for provider logins.
- apiGroups: [""]
  resources: [serviceaccounts]
  verbs: [get]
- apiGroups: [""]
  resources: [serviceaccounts/token]
  verbs: [create]
{{- end }}

{{/* Only a cluster-wide install serves ClusterExternalSecrets (ESO: a namespaced install disables them). */}}
{{- define "syncret.rules.clusterwide" -}}
# ClusterExternalSecrets: watched, status written, and the cleanup finalizer (ESO's name)
# added and removed.
- apiGroups: [external-secrets.io]
  resources: [clusterexternalsecrets]
  verbs: [get, list, watch, patch]
- apiGroups: [external-secrets.io]
  resources: [clusterexternalsecrets/status]
  verbs: [get, patch, update]
# The ExternalSecrets they create carry an ownerReference with blockOwnerDeletion.
- apiGroups: [external-secrets.io]
  resources: [clusterexternalsecrets/finalizers]
  verbs: [update]
# The ExternalSecrets a ClusterExternalSecret creates, updates (patch) and deletes.
- apiGroups: [external-secrets.io]
  resources: [externalsecrets]
  verbs: [create, delete]
# ClusterPushSecrets: watched, status written; the PushSecrets they create carry an
# ownerReference with blockOwnerDeletion, and are created, updated (patch) and deleted.
- apiGroups: [external-secrets.io]
  resources: [clusterpushsecrets]
  verbs: [get, list, watch]
- apiGroups: [external-secrets.io]
  resources: [clusterpushsecrets/status]
  verbs: [get, patch, update]
- apiGroups: [external-secrets.io]
  resources: [clusterpushsecrets/finalizers]
  verbs: [update]
- apiGroups: [external-secrets.io]
  resources: [pushsecrets]
  verbs: [create, delete]
# ESO's per-ClusterExternalSecret namespace finalizers, removed after a migration from ESO.
- apiGroups: [""]
  resources: [namespaces]
  verbs: [patch]
{{- end }}

{{/* Cluster-scoped kinds: needed in every install. */}}
{{- define "syncret.rules.cluster" -}}
# ClusterSecretStores: watched, never written except for status.
- apiGroups: [external-secrets.io]
  resources: [clustersecretstores]
  verbs: [get, list, watch]
- apiGroups: [external-secrets.io]
  resources: [clustersecretstores/status]
  verbs: [get, patch, update]
# ClusterGenerators referenced by dataFrom[].sourceRef.generatorRef.
- apiGroups: [generators.external-secrets.io]
  resources: [clustergenerators]
  verbs: [get]
# ClusterSecretStore conditions and ClusterExternalSecrets select namespaces by label.
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get, list, watch]
{{- end }}
