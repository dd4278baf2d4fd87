// generators.external-secrets.io/v1alpha1 schemas. The provider block reuses the store's
// provider.vault schema, so auth methods and their rules are written once.

import { vault } from './providers/vault.js';
import { bool, enumStr, int, obj, opaque, str } from './schema.js';
import type { Schema } from './schema.js';

export function vaultDynamicSecretSpec(): Schema {
  return obj(
    {
      controller: str({ desc: 'Controller class; a Syncret instance uses only generators of its class.' }),
      provider: vault(),
      path: str({ desc: 'Vault API path to call, e.g. database/creds/app or pki/issue/web.', minLength: 1 }),
      method: str({ desc: 'HTTP method: GET (default), POST, PUT, LIST or DELETE.' }),
      parameters: opaque({ desc: 'JSON body of the request (the query of a GET).' }),
      resultType: enumStr(['Data', 'Auth', 'Raw'], {
        desc: 'Which part of the answer becomes the values: Data (default), Auth or Raw (the whole JSON).',
      }),
      allowEmptyResponse: bool({ desc: 'Accept an answer without values instead of failing.' }),
      retrySettings: obj({ maxRetries: int({ format: 'int32', minimum: 0 }), retryInterval: str() }),
    },
    { required: ['provider', 'path'] },
  );
}
