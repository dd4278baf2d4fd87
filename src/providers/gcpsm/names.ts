// Secret Manager resource names. A remoteRef.key is a secret id, resolved in the store's
// project (and location), or a full resource name that names its own project and location.

import { ProviderError } from '../errors.js';

export interface SecretName {
  /** projects/P or projects/P/locations/L */
  parent: string;
  id: string;
  /** The version named inside a full resource name (`.../versions/V`), if any. */
  version?: string;
}

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const VERSION_ID = /^(latest|[1-9][0-9]*|[A-Za-z0-9_-]{1,63})$/;
const RESOURCE = /^(projects\/[^/]+(?:\/locations\/[^/]+)?)\/secrets\/([^/]+)(?:\/versions\/([^/]+))?$/;

export function storeParent(projectID: string, location: string | undefined): string {
  return location ? `projects/${projectID}/locations/${location}` : `projects/${projectID}`;
}

export function parseKey(key: string, parent: string): SecretName {
  if (key.startsWith('projects/')) {
    const m = RESOURCE.exec(key);
    if (!m || !SECRET_ID.test(m[2]!))
      throw new ProviderError(
        'InvalidRequest',
        `key "${key}" is not a secret resource name (projects/P[/locations/L]/secrets/S[/versions/V])`,
      );
    return { parent: m[1]!, id: m[2]!, ...(m[3] ? { version: m[3] } : {}) };
  }
  if (!SECRET_ID.test(key))
    throw new ProviderError(
      'InvalidRequest',
      `key "${key}" is not a valid secret id (letters, digits, "-" and "_", at most 255) nor a resource name`,
    );
  return { parent, id: key };
}

/** The version to read: remoteRef.version, else the one in the resource name, else latest. */
export function resolveVersion(name: SecretName, refVersion: string | undefined): string {
  if (refVersion && name.version && refVersion !== name.version)
    throw new ProviderError(
      'InvalidRequest',
      `key names version "${name.version}" but remoteRef.version is "${refVersion}"; set only one`,
    );
  const v = refVersion || name.version || 'latest';
  if (!VERSION_ID.test(v))
    throw new ProviderError('InvalidRequest', `version "${v}" is not a version number, alias or "latest"`);
  return v;
}

export function secretPath(name: SecretName): string {
  return `${name.parent}/secrets/${name.id}`;
}

/**
 * The secret id of a listed resource name. The API answers with the project number, not the
 * id the store names, so the prefix is matched by shape rather than compared.
 */
export function idOf(resourceName: string): string {
  const m = /^projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/([^/]+)$/.exec(resourceName);
  return m ? m[1]! : resourceName;
}
