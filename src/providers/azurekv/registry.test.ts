import { describe, expect, it } from '@jest/globals';
import { validateAcr } from './registry.js';

const sp = { secretRef: { clientId: { name: 's', key: 'id' }, clientSecret: { name: 's', key: 'secret' } } };

describe('ACRAccessToken static checks', () => {
  it('names what is wrong', () => {
    expect(validateAcr({ auth: { servicePrincipal: sp }, tenantId: 't' })).toMatch(/registry must be set/);
    expect(validateAcr({ registry: 'r.azurecr.io', auth: {} })).toMatch(/exactly one of/);
    expect(
      validateAcr({ registry: 'r.azurecr.io', auth: { servicePrincipal: sp, managedIdentity: {} } }),
    ).toMatch(/exactly one of/);
    expect(validateAcr({ registry: 'r.azurecr.io', auth: { servicePrincipal: sp } })).toMatch(/tenantId/);
    expect(
      validateAcr({ registry: 'r.azurecr.io', auth: { servicePrincipal: { secretRef: {} } }, tenantId: 't' }),
    ).toMatch(/clientId and clientSecret/);
    expect(
      validateAcr({
        registry: 'r.azurecr.io',
        auth: { managedIdentity: {} },
        environmentType: 'AzureStackCloud',
      }),
    ).toMatch(/not supported/);
    expect(validateAcr({ registry: 'r.azurecr.io', auth: { managedIdentity: {} } })).toBeUndefined();
    expect(
      validateAcr({
        registry: 'r.azurecr.io',
        auth: { servicePrincipal: sp },
        tenantId: 't',
        environmentType: 'ChinaCloud',
      }),
    ).toBeUndefined();
  });
});
