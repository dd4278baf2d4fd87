// provider.webhook: a generic HTTP backend (ESO's field names). The URL, headers, body and
// result.jsonPath are Go templates over remoteRef and the referenced Secrets. The provider
// itself is in src/providers/webhook/.

import {
  MAX_REF_LENGTH,
  MAX_TEMPLATE_LENGTH,
  MAX_URL_LENGTH,
  caBundle,
  caProvider,
  secretKeySelector,
} from '../common.js';
import { arr, map, obj, str } from '../schema.js';
import type { Static } from '../schema.js';

export function webhook() {
  return obj(
    {
      url: str({
        desc: 'A template, e.g. https://api.example.com/secrets/{{ .remoteRef.key }} (values are URL-escaped).',
        maxLength: MAX_URL_LENGTH,
      }),
      method: str({ desc: 'HTTP method. Defaults to GET.', maxLength: 16 }),
      headers: map(str({ maxLength: MAX_REF_LENGTH }), { desc: 'Header templates.' }),
      body: str({ desc: 'A body template.', maxLength: MAX_TEMPLATE_LENGTH }),
      timeout: str({ desc: 'Go duration; defaults to 30s in Syncret (at most 5m).', maxLength: 64 }),
      result: obj({
        jsonPath: str({
          desc: 'JSONPath (a template) to the value in the JSON answer.',
          maxLength: MAX_REF_LENGTH,
        }),
      }),
      secrets: arr(
        obj(
          {
            name: str({ desc: 'The name templates use: {{ .NAME.KEY }}.', maxLength: 253 }),
            secretRef: secretKeySelector(
              'A Secret labelled external-secrets.io/type: webhook; all its keys are exposed (a ClusterSecretStore must name its namespace).',
            ),
          },
          { required: ['name', 'secretRef'] },
        ),
      ),
      auth: obj({
        ntlm: obj(
          { usernameSecret: secretKeySelector(), passwordSecret: secretKeySelector() },
          {
            desc: 'NTLM authentication: not supported by Syncret.',
            required: ['usernameSecret', 'passwordSecret'],
          },
        ),
      }),
      caBundle: caBundle(),
      caProvider: caProvider(),
    },
    { desc: 'A generic HTTP (JSON) backend.', required: ['url'] },
  );
}

export type WebhookProvider = Static<ReturnType<typeof webhook>>;
export type WebhookSecretRef = NonNullable<WebhookProvider['secrets']>[number];
