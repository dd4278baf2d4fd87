import { describe, expect, it } from '@jest/globals';
import { causeOf, externalSecretReady, storeReady } from './reasons.js';

describe('condition reasons', () => {
  it("writes ESO's reason for an ExternalSecret and keeps the precise cause in front of the message", () => {
    for (const cause of [
      'InvalidSpec',
      'StoreNotFound',
      'StoreNotAllowed',
      'InvalidStoreConfiguration',
      'ProviderError',
      'SecretOwnedByOther',
      'SecretWriteFailed',
      'SecretTooLarge',
      'TemplateError',
      'LeaseRenewalFailed',
      'GeneratorNotSupported',
    ]) {
      const c = externalSecretReady({ status: 'False', reason: cause, message: 'it broke' });
      expect(c).toEqual({ status: 'False', reason: 'SecretSyncedError', message: `${cause}: it broke` });
      expect(causeOf(c)).toBe(cause);
    }
  });

  it("keeps ESO's own reasons as they are", () => {
    for (const reason of ['SecretSynced', 'SecretSyncedError', 'SecretDeleted', 'SecretMissing']) {
      const c = { status: 'False' as const, reason, message: 'ProviderError: not a prefix of ours here' };
      expect(externalSecretReady(c)).toEqual(c);
    }
    expect(causeOf({ reason: 'SecretSyncedError', message: 'a plain message: with a colon' })).toBe(
      'SecretSyncedError',
    );
  });

  it('maps a failed store validation to InvalidProviderConfig, as ESO writes it', () => {
    const c = storeReady({ status: 'False', reason: 'ValidationFailed', message: 'Vault is sealed' });
    expect(c).toEqual({
      status: 'False',
      reason: 'InvalidProviderConfig',
      message: 'ValidationFailed: Vault is sealed',
    });
    expect(causeOf(c)).toBe('ValidationFailed');
    for (const reason of ['Valid', 'InvalidProviderConfig', 'ValidationUnknown'])
      expect(storeReady({ status: 'True', reason, message: 'm' })).toEqual({
        status: 'True',
        reason,
        message: 'm',
      });
  });

  it('reads the cause of conditions written before the mapping from their reason', () => {
    expect(causeOf({ reason: 'ProviderError', message: 'key "x" not found' })).toBe('ProviderError');
    expect(causeOf({ reason: 'SecretSyncedError', message: 'ProviderError' })).toBe('ProviderError');
    expect(causeOf(undefined)).toBeUndefined();
  });
});
