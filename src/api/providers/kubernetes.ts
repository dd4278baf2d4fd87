// provider.kubernetes: Secrets of another namespace or cluster.

import {
  MAX_URL_LENGTH,
  caBundle,
  caProvider,
  namespaceName,
  secretKeySelector,
  serviceAccountSelector,
} from '../common.js';
import { exactlyOne, obj, str } from '../schema.js';
import type { Static } from '../schema.js';

export function kubernetes() {
  return obj(
    {
      server: obj({
        url: str({ desc: 'The apiserver URL. Defaults to kubernetes.default.', maxLength: MAX_URL_LENGTH }),
        caBundle: caBundle(),
        caProvider: caProvider(),
      }),
      auth: obj(
        {
          cert: obj(
            { clientCert: secretKeySelector(), clientKey: secretKeySelector() },
            { required: ['clientCert', 'clientKey'] },
          ),
          token: obj({ bearerToken: secretKeySelector() }, { required: ['bearerToken'] }),
          serviceAccount: serviceAccountSelector('A ServiceAccount whose token (TokenRequest API) is used.'),
        },
        {
          rules: [
            exactlyOne(
              ['cert', 'token', 'serviceAccount'],
              'auth must set exactly one of cert, token or serviceAccount',
            ),
          ],
        },
      ),
      authRef: secretKeySelector('A Secret key holding a kubeconfig.'),
      remoteNamespace: namespaceName('The namespace to read Secrets from. Defaults to default.'),
    },
    { desc: 'Reads Secrets of another namespace or cluster.' },
  );
}

export type KubernetesProvider = Static<ReturnType<typeof kubernetes>>;
