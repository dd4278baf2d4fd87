// Azure workload identity's facts, in a module without the SDK so that the injector can say
// which token a pod needs without loading the Azure clients.

import type { ServiceAccountSelector } from '../../api/types.js';

export const WORKLOAD_IDENTITY_AUDIENCE = 'api://AzureADTokenExchange';
export const ANNOTATION_CLIENT_ID = 'azure.workload.identity/client-id';
export const ANNOTATION_TENANT_ID = 'azure.workload.identity/tenant-id';

/** One token for Entra ID's exchange, with the selector's audiences beside it. */
export function workloadIdentityAudiences(sel: Pick<ServiceAccountSelector, 'audiences'>): string[] {
  return [WORKLOAD_IDENTITY_AUDIENCE, ...(sel.audiences ?? [])];
}
