// ESO's Key Vault key syntax, shared by reads and pushes.

import { ProviderError } from '../errors.js';

export type ObjectType = 'secret' | 'key' | 'cert';

/** ESO's key syntax: an optional `secret/`, `key/` or `cert/` prefix before the object name. */
export function parseKey(key: string): { type: ObjectType; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { type: 'secret', name: key };
  const prefix = key.slice(0, slash);
  const name = key.slice(slash + 1);
  if (prefix !== 'secret' && prefix !== 'key' && prefix !== 'cert')
    throw new ProviderError(
      'InvalidRequest',
      `key "${key}": unknown object type "${prefix}" (use secret/, key/ or cert/)`,
    );
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name))
    throw new ProviderError(
      'InvalidRequest',
      `key "${key}": "${name}" is not a Key Vault object name (1-127 letters, digits and dashes)`,
    );
  return { type: prefix, name };
}
