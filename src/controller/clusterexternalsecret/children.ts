// What a ClusterExternalSecret asks for, as ESO 2.9 reads it: which namespaces it selects (the
// deprecated namespaceSelector, namespaceSelectors, the namespaces list), and the ExternalSecret
// it wants in each. The logic is the fan-out kinds' own (../fanout/children.ts); this file
// describes the ClusterExternalSecret → ExternalSecret pair and keeps the names its callers use.

import type {
  ClusterExternalSecret,
  ExternalSecret,
  LabelSelector,
  Namespace,
  OwnerReference,
} from '../../api/types.js';
import { GROUP } from '../../api/types.js';
import { EXTERNAL_SECRETS } from '../../kube/resources.js';
import * as fanout from '../fanout/children.js';
import type { ChildMetadata, FanoutKind } from '../fanout/children.js';
import { cesRefreshIntervalMs } from './refresh.js';

export { FORCE_SYNC_ANNOTATION, selectorProblem } from '../fanout/children.js';

export const CES_KIND = 'ClusterExternalSecret';
// ESO's text: alerts and runbooks written for ESO match it.
export const EXISTS_MESSAGE = 'external secret already exists in namespace';

/** spec.externalSecretName, else the ClusterExternalSecret's own name (ESO's default). */
export function childName(ces: ClusterExternalSecret): string {
  return ces.spec?.externalSecretName || ces.metadata.name || '';
}

/** The deprecated namespaceSelector first, then namespaceSelectors; any one of them selects. */
export function selectorsOf(ces: ClusterExternalSecret): LabelSelector[] {
  const one = ces.spec?.namespaceSelector;
  return [...(one ? [one] : []), ...(ces.spec?.namespaceSelectors ?? [])];
}

export const CES_FANOUT: FanoutKind<ClusterExternalSecret, ExternalSecret> = {
  parentKind: CES_KIND,
  parentApiVersion: `${GROUP}/v1`,
  childKind: 'ExternalSecret',
  childApiVersion: `${GROUP}/v1`,
  childType: EXTERNAL_SECRETS,
  existsMessage: EXISTS_MESSAGE,
  childName,
  namespaceNames: (ces) => ces.spec?.namespaces ?? [],
  selectors: selectorsOf,
  metadata: (ces) => ces.spec?.externalSecretMetadata,
  childSpec: (ces) => ces.spec?.externalSecretSpec ?? {},
  refresh: cesRefreshIntervalMs,
};

export const selects = (ces: ClusterExternalSecret, ns: Namespace): boolean =>
  fanout.selects(CES_FANOUT, ces, ns);
export const ownerRef = (ces: ClusterExternalSecret): OwnerReference => fanout.ownerRef(CES_FANOUT, ces);
export const childMetadata = (ces: ClusterExternalSecret): ChildMetadata =>
  fanout.childMetadata(CES_FANOUT, ces);
export const newChild = (ces: ClusterExternalSecret, namespace: string): ExternalSecret =>
  fanout.newChild(CES_FANOUT, ces, namespace);
export const childPatch = (ces: ClusterExternalSecret, child: ExternalSecret): object | undefined =>
  fanout.childPatch(CES_FANOUT, ces, child);
export const isChildOf = (es: ExternalSecret, ces: ClusterExternalSecret): boolean =>
  fanout.isChildOf(CES_FANOUT, es, ces);
