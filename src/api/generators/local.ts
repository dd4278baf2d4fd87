// The generators that need no backend of their own (Password, UUID, Fake, SSHKey, MFA) and the
// Webhook generator, with ESO's field names (generators.external-secrets.io/v1alpha1). ESO's
// schema defaults (Password's length 24, SSHKey's keyType rsa, ...) are applied in code, so the
// fields that ESO marks required because a default fills them are optional here.
// The implementations are in src/providers/local/ and src/providers/webhook/.

import { caBundle, caProvider, objectName, secretDataKey, secretKeySelector } from '../common.js';
import { arr, atLeastOne, bool, enumStr, int, map, obj, str } from '../schema.js';
import type { Static } from '../schema.js';

export const PASSWORD_ENCODINGS = ['base64', 'base64url', 'base32', 'hex', 'raw'] as const;
export const SSH_KEY_TYPES = ['rsa', 'ecdsa', 'ed25519'] as const;

export function passwordSpec() {
  return obj({
    length: int({ desc: 'Length of each password. Defaults to 24.' }),
    digits: int({ desc: 'How many digits. Defaults to a quarter of the length.' }),
    symbols: int({ desc: 'How many symbols. Defaults to a quarter of the length.' }),
    symbolCharacters: str({
      desc: 'The symbols to choose from. Defaults to ~!@#$%^&*()_+`-={}|[]\\:"<>?,./',
    }),
    noUpper: bool({ desc: 'Leaves out upper-case letters.' }),
    allowRepeat: bool({ desc: 'Lets a character appear more than once.' }),
    secretKeys: arr(str({ minLength: 1 }), {
      desc: 'The keys to fill, each with its own password. Defaults to password.',
      minItems: 1,
    }),
    encoding: enumStr(PASSWORD_ENCODINGS, { desc: 'How each password is encoded. Defaults to raw.' }),
  });
}

export type PasswordSpec = Static<ReturnType<typeof passwordSpec>>;

export function uuidSpec() {
  return obj({}, { desc: 'No settings: each use gives a new random (version 4) UUID under the key uuid.' });
}

export function fakeSpec() {
  return obj({
    controller: str({ desc: 'Controller class; a Syncret instance uses only generators of its class.' }),
    data: map(str(), { desc: 'The values returned, as they are.' }),
  });
}

export type FakeSpec = Static<ReturnType<typeof fakeSpec>>;

export function sshKeySpec() {
  return obj({
    keyType: enumStr(SSH_KEY_TYPES, { desc: 'Defaults to rsa.' }),
    keySize: int({
      desc: 'RSA bits (default 2048) or the ECDSA curve size 256 (default), 384 or 521; unused for ed25519.',
      minimum: 256,
      maximum: 8192,
    }),
    comment: str({ desc: 'Comment written into both keys.' }),
  });
}

export type SSHKeySpec = Static<ReturnType<typeof sshKeySpec>>;

export function mfaSpec() {
  return obj(
    {
      secret: secretKeySelector('A Secret key holding the base32 TOTP seed.'),
      length: int({ desc: 'Digits of the token. Defaults to 6.' }),
      timePeriod: int({ desc: 'Seconds a token lasts. Defaults to 30.' }),
      algorithm: str({
        desc: 'Accepted for ESO compatibility; ESO 2.9 always uses SHA-1, and so does Syncret.',
      }),
      when: str({ format: 'date-time', desc: 'Computes the token for this time instead of now.' }),
    },
    { required: ['secret'] },
  );
}

export type MFASpec = Static<ReturnType<typeof mfaSpec>>;

/** The webhook's own selector: no namespace (references resolve in the generator's namespace). */
function webhookSecretKey(desc?: string) {
  return obj({ name: objectName('Name of the Secret.'), key: secretDataKey('Key in the Secret.') }, { desc });
}

export function webhookSpec() {
  return obj(
    {
      method: str({ desc: 'HTTP method. Defaults to GET.' }),
      url: str({ desc: 'The URL to call; a Go template over the secrets (values URL-escaped).' }),
      headers: map(str(), { desc: 'Request headers; each value is a Go template over the secrets.' }),
      auth: obj(
        {
          ntlm: obj(
            {
              usernameSecret: secretKeySelector(),
              passwordSecret: secretKeySelector(),
            },
            { required: ['usernameSecret', 'passwordSecret'] },
          ),
        },
        {
          desc: 'NTLM authentication (not supported by Syncret).',
          rules: [atLeastOne(['ntlm'], 'auth must set ntlm')],
        },
      ),
      body: str({ desc: 'Request body; a Go template over the secrets.' }),
      timeout: str({ desc: 'A Go duration bounding the request.' }),
      result: obj({
        jsonPath: str({ desc: 'JSONPath of the object (or JSON string) whose fields become the values.' }),
      }),
      secrets: arr(
        obj(
          {
            name: str({ desc: 'The name the templates use for this Secret.' }),
            secretRef: webhookSecretKey(
              'A Secret labelled external-secrets.io/type: webhook; all its keys reach the templates.',
            ),
          },
          { required: ['name', 'secretRef'] },
        ),
      ),
      caBundle: caBundle(),
      caProvider: caProvider(),
    },
    { required: ['url', 'result'] },
  );
}

export type WebhookSpec = Static<ReturnType<typeof webhookSpec>>;
