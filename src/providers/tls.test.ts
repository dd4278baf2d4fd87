import { describe, expect, it } from '@jest/globals';
import { ProviderError } from './errors.js';
import { requireTls } from './tls.js';

describe('requireTls', () => {
  it('passes https:// and, when allowed, http://', () => {
    expect(() => requireTls('https://vault.example:8200', 'server', false)).not.toThrow();
    expect(() => requireTls('http://127.0.0.1:8200', 'server', true)).not.toThrow();
  });

  it('refuses http:// naming only scheme, host and port', () => {
    let e: unknown;
    try {
      requireTls(
        'http://user:pa55@Vault.Example:8200/v1/secret?token=x',
        'spec.provider.vault.server',
        false,
      );
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(ProviderError);
    const pe = e as ProviderError;
    expect(pe.reason).toBe('InvalidProviderConfig');
    expect(pe.message).toMatch(/^spec\.provider\.vault\.server http:\/\/vault\.example:8200 is plain HTTP/);
    expect(pe.message).toContain('--allow-insecure-credentials');
    expect(pe.message).not.toMatch(/pa55|token=x|\/v1\//);
  });

  it('leaves other schemes and unparsable text to the provider', () => {
    expect(() => requireTls('kubernetes.default.svc', 'url', false)).not.toThrow();
    expect(() => requireTls('unix:///run/vault.sock', 'url', false)).not.toThrow();
  });
});
