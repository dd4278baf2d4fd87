// The generators computed in the operator itself, with no backend: Password, UUID, Fake,
// SSHKey and MFA (TOTP). Their values exist only in the target Secret: nothing is kept
// anywhere else, and they are issued again whenever the ExternalSecret syncs (ESO's rule).

import { randomUUID } from 'node:crypto';
import type { FakeSpec, MFASpec, PasswordSpec, SSHKeySpec } from '../../api/generators/local.js';
import { GENERATOR_RESOURCES } from '../../kube/resources.js';
import { specOf } from '../generator.js';
import type { Generator } from '../generator.js';
import { generateMfa } from './mfa.js';
import { generatePasswords, passwordConfig } from './password.js';
import { cryptoRandom } from './random.js';
import type { RandomSource } from './random.js';
import { generateSshKey } from './sshkey.js';

const enc = new TextEncoder();

export function passwordGenerator(rnd: RandomSource = cryptoRandom()): Generator {
  return {
    kind: 'Password',
    resource: GENERATOR_RESOURCES.Password,
    provider: 'password',
    validate(obj) {
      const c = passwordConfig(specOf<PasswordSpec>(obj));
      return typeof c === 'string' ? c : undefined;
    },
    generate: (_env, obj) => Promise.resolve({ data: generatePasswords(specOf<PasswordSpec>(obj), rnd) }),
  };
}

export function uuidGenerator(): Generator {
  return {
    kind: 'UUID',
    resource: GENERATOR_RESOURCES.UUID,
    provider: 'uuid',
    validate: () => undefined,
    generate: () => Promise.resolve({ data: { uuid: enc.encode(randomUUID()) } }),
  };
}

export function fakeGenerator(): Generator {
  return {
    kind: 'Fake',
    resource: GENERATOR_RESOURCES.Fake,
    provider: 'fake',
    validate: () => undefined,
    generate(_env, obj) {
      const data = Object.create(null) as Record<string, Uint8Array>;
      for (const [k, v] of Object.entries(specOf<FakeSpec>(obj).data ?? {})) data[k] = enc.encode(v);
      return Promise.resolve({ data });
    },
  };
}

export function sshKeyGenerator(rnd: RandomSource = cryptoRandom()): Generator {
  return {
    kind: 'SSHKey',
    resource: GENERATOR_RESOURCES.SSHKey,
    provider: 'sshkey',
    validate(obj) {
      const s = specOf<SSHKeySpec>(obj);
      if ((s.keyType ?? 'rsa') === 'rsa' && s.keySize !== undefined && s.keySize < 1024)
        return `spec.keySize ${s.keySize}: RSA keys need at least 1024 bits`;
      return undefined;
    },
    generate: async (_env, obj) => ({ data: await generateSshKey(specOf<SSHKeySpec>(obj), rnd) }),
  };
}

export function mfaGenerator(): Generator {
  return {
    kind: 'MFA',
    resource: GENERATOR_RESOURCES.MFA,
    provider: 'mfa',
    validate: (obj) => (specOf<MFASpec>(obj).secret?.name ? undefined : 'spec.secret.name must be set'),
    generate: async (env, obj) => ({ data: await generateMfa(specOf<MFASpec>(obj), env.ctx, env.now) }),
  };
}

export function localGenerators(): Generator[] {
  return [passwordGenerator(), uuidGenerator(), fakeGenerator(), sshKeyGenerator(), mfaGenerator()];
}
