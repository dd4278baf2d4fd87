// Generators that mint tokens of a SaaS API, with ESO's field names: GithubAccessToken,
// GitlabDeployToken, QuayAccessToken, CloudsmithAccessToken and Grafana.

import { objectName, secretDataKey, secretKeySelector, serviceAccountSelector } from '../common.js';
import { arr, enumStr, int, map, obj, str } from '../schema.js';
import type { Static } from '../schema.js';

export const GITLAB_DEPLOY_TOKEN_SCOPES = [
  'read_repository',
  'read_registry',
  'write_registry',
  'read_package_registry',
  'write_package_registry',
  'read_virtual_registry',
  'write_virtual_registry',
] as const;

export function githubAccessTokenSpec() {
  return obj(
    {
      url: str({ desc: 'The GitHub API. Defaults to https://api.github.com/.' }),
      appID: str(),
      installID: str(),
      repositories: arr(str(), { desc: 'Limits the token to these repositories.' }),
      permissions: map(str(), { desc: 'Limits the token to these permissions (name to read or write).' }),
      auth: obj(
        {
          privateKey: obj(
            { secretRef: secretKeySelector('A Secret key holding the app private key (PEM).') },
            { required: ['secretRef'] },
          ),
        },
        { required: ['privateKey'] },
      ),
    },
    { required: ['appID', 'installID', 'auth'] },
  );
}

export type GithubAccessTokenSpec = Static<ReturnType<typeof githubAccessTokenSpec>>;

export function gitlabDeployTokenSpec() {
  return obj(
    {
      url: str({ desc: 'The GitLab instance. Defaults to https://gitlab.com.' }),
      projectID: str({ minLength: 1, desc: 'The project of the token; set this or groupID.' }),
      groupID: str({ minLength: 1, desc: 'The group of the token; set this or projectID.' }),
      name: str({ minLength: 1 }),
      scopes: arr(enumStr(GITLAB_DEPLOY_TOKEN_SCOPES), { minItems: 1 }),
      expiresAt: str({ format: 'date-time' }),
      username: str(),
      auth: obj(
        {
          token: obj(
            { secretRef: secretKeySelector('A Secret key holding a GitLab access token.') },
            { required: ['secretRef'] },
          ),
        },
        { required: ['token'] },
      ),
    },
    { required: ['name', 'scopes', 'auth'] },
  );
}

export type GitlabDeployTokenSpec = Static<ReturnType<typeof gitlabDeployTokenSpec>>;

export function quayAccessTokenSpec() {
  return obj(
    {
      url: str({ desc: 'The Quay instance. Defaults to quay.io.' }),
      robotAccount: str({ desc: 'The robot account, <organisation>+<name>.' }),
      serviceAccountRef: serviceAccountSelector('Whose token is exchanged for a Quay token.'),
    },
    { required: ['robotAccount', 'serviceAccountRef'] },
  );
}

export type QuayAccessTokenSpec = Static<ReturnType<typeof quayAccessTokenSpec>>;

export function cloudsmithAccessTokenSpec() {
  return obj(
    {
      apiUrl: str({ desc: 'The Cloudsmith API. Defaults to https://api.cloudsmith.io.' }),
      orgSlug: str(),
      serviceSlug: str(),
      serviceAccountRef: serviceAccountSelector('Whose token is exchanged for a Cloudsmith token.'),
    },
    { required: ['orgSlug', 'serviceSlug', 'serviceAccountRef'] },
  );
}

export type CloudsmithAccessTokenSpec = Static<ReturnType<typeof cloudsmithAccessTokenSpec>>;

/** Grafana's own selector: no namespace. */
function grafanaSecretKey(desc?: string) {
  return obj({ name: objectName('Name of the Secret.'), key: secretDataKey('Key in the Secret.') }, { desc });
}

export function grafanaSpec() {
  return obj(
    {
      url: str({ desc: 'The Grafana instance, e.g. https://grafana.example.com.' }),
      auth: obj({
        token: grafanaSecretKey('A Secret key holding a service account token.'),
        basic: obj({ username: str(), password: grafanaSecretKey() }, { required: ['username', 'password'] }),
      }),
      serviceAccount: obj(
        {
          name: str(),
          role: str(),
          secondsToLive: int({ format: 'int64', minimum: 1 }),
        },
        { required: ['name', 'role'] },
      ),
    },
    { required: ['url', 'auth', 'serviceAccount'] },
  );
}

export type GrafanaSpec = Static<ReturnType<typeof grafanaSpec>>;
