// The parts of a Pod the injector reads and writes, typed by hand (only these fields; the rest
// of the object passes through the JSON patch untouched).

export interface EnvVar {
  name: string;
  value?: string;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
}

export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}

export interface Resources {
  limits?: Record<string, string>;
  requests?: Record<string, string>;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  resources?: Resources;
  securityContext?: SecurityContext;
  restartPolicy?: string;
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  projected?: {
    sources: { serviceAccountToken?: { path: string; audience?: string; expirationSeconds?: number } }[];
    defaultMode?: number;
  };
  secret?: { secretName: string; items?: KeyToPath[]; defaultMode?: number };
  configMap?: { name: string; items?: KeyToPath[]; defaultMode?: number };
}

export interface KeyToPath {
  key: string;
  path: string;
}

export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    generateName?: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec?: {
    serviceAccountName?: string;
    containers?: Container[];
    initContainers?: Container[];
    volumes?: Volume[];
    securityContext?: { runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  };
}

/** One RFC 6902 operation. */
export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

/** A JSON pointer segment (RFC 6901): annotation keys hold '/'. */
export function pointerSegment(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}
