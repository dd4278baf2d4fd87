// provider.openBao: ESO 2.9 serves OpenBao under its own key, with a subset of provider.vault's
// fields (token, AppRole and userpass logins; KV v1 and v2). Syncret reads it with the Vault
// provider (src/providers/vault/), which speaks OpenBao's API; see docs/providers/vault.md.

import { MAX_REF_LENGTH, MAX_URL_LENGTH, caBundle, caProvider, secretKeySelector } from '../common.js';
import { enumStr, exactlyOne, obj, str } from '../schema.js';
import type { Static } from '../schema.js';
import { appRoleAuth, passwordAuth } from './vault.js';

export const OPENBAO_AUTH_METHODS = ['tokenSecretRef', 'appRole', 'userPass'] as const;

export function openBao() {
  return obj(
    {
      server: str({
        desc: 'OpenBao address, e.g. https://openbao.example.com:8200.',
        maxLength: MAX_URL_LENGTH,
      }),
      path: str({ desc: 'Mount path of the KV engine. Defaults to kv.', maxLength: MAX_REF_LENGTH }),
      version: enumStr(['v1', 'v2'], { desc: 'KV engine version. Defaults to v2.' }),
      namespace: str({ desc: 'OpenBao namespace.' }),
      caBundle: caBundle(),
      caProvider: caProvider(),
      auth: obj(
        {
          namespace: str({ desc: 'Namespace to log in to, when it differs from namespace.' }),
          tokenSecretRef: secretKeySelector('A Secret key holding a token.'),
          appRole: appRoleAuth(),
          userPass: passwordAuth('userpass', 'userpass'),
        },
        {
          desc: 'How to log in; exactly one method. Without auth, requests carry no token.',
          rules: [
            exactlyOne(
              OPENBAO_AUTH_METHODS,
              `auth must set exactly one of ${OPENBAO_AUTH_METHODS.join(', ')}`,
            ),
          ],
        },
      ),
    },
    { desc: 'OpenBao (ESO 2.9 key), read by the Vault provider.', required: ['server'] },
  );
}

export type OpenBaoProvider = Static<ReturnType<typeof openBao>>;
