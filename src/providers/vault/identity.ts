// The token audiences Vault's kubernetes and jwt logins ask the TokenRequest API for, in a
// module of its own so that the injector can give a pod those tokens without loading the
// provider.

import type { VaultJwtAuth } from '../../api/providers/vault.js';

/** ESO's default audience of a jwt login's TokenRequest token. */
export const JWT_DEFAULT_AUDIENCE = 'vault';

/** jwt's kubernetesServiceAccountToken: its audiences, else its serviceAccountRef's, else "vault". */
export function jwtTokenAudiences(kst: NonNullable<VaultJwtAuth['kubernetesServiceAccountToken']>): string[] {
  if (kst.audiences?.length) return kst.audiences;
  if (kst.serviceAccountRef?.audiences?.length) return kst.serviceAccountRef.audiences;
  return [JWT_DEFAULT_AUDIENCE];
}
