// IRSA's facts, in a module without the SDK so that the injector can say which token a pod
// needs without loading the AWS clients.

import type { ServiceAccountSelector } from '../../api/types.js';

/** The annotation IRSA reads on the ServiceAccount. */
export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** The audiences of the token exchanged with STS: the selector's, else STS's own (ESO's rule). */
export function webIdentityAudiences(sel: Pick<ServiceAccountSelector, 'audiences'> | undefined): string[] {
  return sel?.audiences && sel.audiences.length > 0 ? sel.audiences : [STS_AUDIENCE];
}
