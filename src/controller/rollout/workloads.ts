// The workloads a rollout restart may patch, as the rollout controller keeps them: Deployments,
// StatefulSets, DaemonSets and Argo Rollouts, cut down by the reflectors' transform to their
// identity, their opt-in (Reloader's annotations), the Secrets their pods use, and the
// secret-hash annotations Syncret put into their pod template. A Deployment's spec is several
// KiB; what is kept is a few hundred bytes, so watching every workload of a cluster stays cheap.

import { createHash } from 'node:crypto';
import { DNS1123_SUBDOMAIN } from '../../api/common.js';
import type { KubeObject } from '../../api/types.js';
import { ARGO_ROLLOUTS, DAEMONSETS, DEPLOYMENTS, STATEFULSETS } from '../../kube/resources.js';
import type { ResourceType } from '../../kube/types.js';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Rollout';

export const WORKLOAD_TYPES: Readonly<Record<WorkloadKind, ResourceType>> = {
  Deployment: DEPLOYMENTS,
  StatefulSet: STATEFULSETS,
  DaemonSet: DAEMONSETS,
  Rollout: ARGO_ROLLOUTS,
};

export const WORKLOAD_KINDS = Object.keys(WORKLOAD_TYPES) as readonly WorkloadKind[];

/** On an ExternalSecret: the workloads to restart when its Secret's data changes. */
export const RESTART_TARGETS_ANNOTATION = 'syncret.io/rollout-restart-targets';
/** Prefix of the pod-template annotations that carry each Secret's hash. */
export const SECRET_HASH_PREFIX = 'secret-hash.syncret.io/';

/** Stakater Reloader's annotations, with Reloader's meaning (docs/ROLLOUT.md). */
export const RELOADER = {
  auto: 'reloader.stakater.com/auto',
  secretAuto: 'secret.reloader.stakater.com/auto',
  reload: 'secret.reloader.stakater.com/reload',
  search: 'reloader.stakater.com/search',
  exclude: 'secrets.exclude.reloader.stakater.com/reload',
  /** On a Secret: found by workloads with `search`. */
  match: 'reloader.stakater.com/match',
  /** On a Secret: no Reloader-annotated workload restarts for it. */
  ignore: 'reloader.stakater.com/ignore',
} as const;

/** A workload's Reloader opt-in, parsed once when it is cached. */
export interface ReloaderOptIn {
  /** `reloader.stakater.com/auto` or `secret.reloader.stakater.com/auto`: Secrets the pods use. */
  auto: boolean;
  /** `reloader.stakater.com/search`: Secrets the pods use that carry `match: "true"`. */
  search: boolean;
  /** `secret.reloader.stakater.com/reload`: Secret names, each a Go regexp matched whole. */
  reload: readonly string[];
  /** `secrets.exclude.reloader.stakater.com/reload`: names never restarted for (exact). */
  exclude: readonly string[];
}

export interface WorkloadInfo {
  /** Set only when the operator honours Reloader's annotations and the workload has one. */
  reloader?: ReloaderOptIn;
  /** Secrets mounted by a container or read through env/envFrom; kept for `auto` and `search`. */
  secrets?: readonly string[];
  /** The pod template's secret-hash.syncret.io/* annotations (key → value). */
  hashes?: Readonly<Record<string, string>>;
}

/** A cached workload: identity and WorkloadInfo, nothing of its spec. */
export interface Workload extends KubeObject {
  rollout: WorkloadInfo;
}

// ---- the raw objects' shape, as far as it is read ----

interface SecretVolume {
  name?: string;
  secret?: { secretName?: string };
  projected?: { sources?: { secret?: { name?: string } }[] };
}
interface Container {
  env?: { valueFrom?: { secretKeyRef?: { name?: string } } }[];
  envFrom?: { secretRef?: { name?: string } }[];
  volumeMounts?: { name?: string }[];
}
interface PodTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec?: { volumes?: SecretVolume[]; containers?: Container[]; initContainers?: Container[] };
}
interface RawWorkload extends KubeObject {
  spec?: { template?: PodTemplate };
}

/** Go's strconv.ParseBool, true side (Reloader parses its switches with it). */
function goTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Reloader reads its switches from the workload's annotations, and only when none of them is
 * there, from the pod template's; the exclude list always from the workload's.
 */
export function reloaderOptIn(
  meta: Record<string, string> | undefined,
  template: Record<string, string> | undefined,
): ReloaderOptIn | undefined {
  const own = meta ?? {};
  const keys = [RELOADER.reload, RELOADER.search, RELOADER.auto, RELOADER.secretAuto];
  const from = keys.some((k) => k in own) ? own : (template ?? {});
  const opt: ReloaderOptIn = {
    auto: goTrue(from[RELOADER.auto]) || goTrue(from[RELOADER.secretAuto]),
    search: from[RELOADER.search] === 'true',
    reload: list(from[RELOADER.reload]),
    exclude: list(own[RELOADER.exclude]),
  };
  return opt.auto || opt.search || opt.reload.length > 0 ? opt : undefined;
}

/**
 * The Secrets a pod template uses: volumes (secret and projected) that some container or init
 * container mounts, and env / envFrom references. Sorted, each once.
 */
export function podSecrets(template: PodTemplate | undefined): string[] {
  const spec = template?.spec;
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  const mounted = new Set(containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  const out = new Set<string>();
  for (const v of spec?.volumes ?? []) {
    if (!mounted.has(v.name)) continue;
    if (v.secret?.secretName) out.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) if (s.secret?.name) out.add(s.secret.name);
  }
  for (const c of containers) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) out.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) out.add(e.secretRef.name);
  }
  return [...out].sort();
}

function templateHashes(annotations: Record<string, string> | undefined): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (!k.startsWith(SECRET_HASH_PREFIX)) continue;
    (out ??= {})[k] = v;
  }
  return out;
}

/**
 * The reflectors' transform. `reloader`: whether Reloader's annotations count (the operator's
 * --reloader-annotations); without it only identity and Syncret's hashes are kept.
 */
export function workloadTransform(kind: WorkloadKind, reloader: boolean): (raw: KubeObject) => Workload {
  const type = WORKLOAD_TYPES[kind];
  const apiVersion = `${type.group}/${type.version}`;
  return (obj) => {
    if ('rollout' in obj) return obj as Workload;
    const raw = obj as RawWorkload;
    const m = raw.metadata;
    const template = raw.spec?.template;
    const info: WorkloadInfo = {};
    const opt = reloader ? reloaderOptIn(m.annotations, template?.metadata?.annotations) : undefined;
    if (opt) {
      info.reloader = opt;
      if (opt.auto || opt.search) info.secrets = podSecrets(template);
    }
    const hashes = templateHashes(template?.metadata?.annotations);
    if (hashes) info.hashes = hashes;
    return {
      apiVersion,
      kind,
      metadata: {
        name: m.name,
        namespace: m.namespace,
        uid: m.uid,
        resourceVersion: m.resourceVersion,
        ...(m.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
      },
      rollout: info,
    };
  };
}

// ---- names ----

const NAME_PART_MAX = 63;

/**
 * The pod-template annotation for Secret `name`: secret-hash.syncret.io/<name>, the name cut
 * and suffixed with a hash of it where it is longer than an annotation name may be.
 */
export function secretHashAnnotation(secret: string): string {
  if (secret.length <= NAME_PART_MAX) return SECRET_HASH_PREFIX + secret;
  const digest = createHash('sha256').update(secret).digest('hex').slice(0, 12);
  const head = secret.slice(0, NAME_PART_MAX - 13).replace(/[^a-z0-9]+$/, '');
  return `${SECRET_HASH_PREFIX}${head}-${digest}`;
}

/**
 * The annotation's value: the Secret's data hash keyed with the Secret's uid. The data hash
 * itself (ESO's, on the Secret) is an unsalted hash of the values; anyone who may read the
 * Deployment could test guesses of a short value against it. Keyed, it still changes exactly
 * when the data does.
 */
export function secretHashValue(secretUid: string, dataHash: string): string {
  return createHash('sha256').update(`${secretUid}\n${dataHash}`).digest('hex').slice(0, 32);
}

const KIND_NAMES: Readonly<Record<string, WorkloadKind>> = {
  deployment: 'Deployment',
  deployments: 'Deployment',
  deploy: 'Deployment',
  'deployment.apps': 'Deployment',
  'deployments.apps': 'Deployment',
  statefulset: 'StatefulSet',
  statefulsets: 'StatefulSet',
  sts: 'StatefulSet',
  'statefulset.apps': 'StatefulSet',
  'statefulsets.apps': 'StatefulSet',
  daemonset: 'DaemonSet',
  daemonsets: 'DaemonSet',
  ds: 'DaemonSet',
  'daemonset.apps': 'DaemonSet',
  'daemonsets.apps': 'DaemonSet',
  rollout: 'Rollout',
  rollouts: 'Rollout',
  ro: 'Rollout',
  'rollout.argoproj.io': 'Rollout',
  'rollouts.argoproj.io': 'Rollout',
};

const OBJECT_NAME = new RegExp(DNS1123_SUBDOMAIN);

export interface NamedTarget {
  kind: WorkloadKind;
  name: string;
}

/**
 * The ExternalSecret annotation's targets: `kind/name` separated by commas or whitespace, kinds
 * as kubectl spells them (deployment, deploy, sts, ds, rollout, ... and kind.group). Entries
 * that are not such a pair come back in `invalid`.
 */
export function parseRestartTargets(value: string | undefined): {
  targets: NamedTarget[];
  invalid: string[];
} {
  const targets: NamedTarget[] = [];
  const invalid: string[] = [];
  for (const entry of (value ?? '').split(/[\s,]+/)) {
    if (entry === '') continue;
    const slash = entry.indexOf('/');
    const kind = slash > 0 ? KIND_NAMES[entry.slice(0, slash).toLowerCase()] : undefined;
    const name = entry.slice(slash + 1);
    if (!kind || name.length > 253 || !OBJECT_NAME.test(name)) {
      invalid.push(entry.slice(0, 300));
      continue;
    }
    if (!targets.some((t) => t.kind === kind && t.name === name)) targets.push({ kind, name });
  }
  return { targets, invalid };
}

/** `deployment/api`, as people write it. */
export function targetName(kind: WorkloadKind, name: string | undefined): string {
  return `${kind.toLowerCase()}/${name ?? ''}`;
}
