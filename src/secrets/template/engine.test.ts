import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { TemplateError, parseTemplate, renderTemplate } from './index.js';

function errorOf(f: () => unknown): TemplateError {
  try {
    f();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a TemplateError');
}

describe('error locations', () => {
  it('exec errors carry Go-style name, line, column and context', () => {
    const err = errorOf(() => renderTemplate('cfg', 'a: {{ .a }}\n  b: {{ .b.c }}', { a: 'x', b: 'y' }));
    expect(err.reason).toBe('TemplateExec');
    expect(err.templateName).toBe('cfg');
    expect(err.line).toBe(2);
    expect(err.column).toBe(8);
    expect(err.message).toBe(
      'template: cfg:2:8: executing "cfg" at <.b.c>: can\'t evaluate field c in type string',
    );
  });

  it('parse errors carry the line', () => {
    const err = errorOf(() => parseTemplate('p', 'line1\nline2 {{ if }}'));
    expect(err.reason).toBe('TemplateParse');
    expect(err.line).toBe(2);
    expect(err.message).toBe('template: p:2: missing value for if');
  });

  it('errors inside a defined template name it', () => {
    const err = errorOf(() =>
      renderTemplate('main', '{{ define "inner" }}{{ fail "no" }}{{ end }}{{ template "inner" }}', {}),
    );
    expect(err.message).toContain('executing "inner"');
    expect(err.templateName).toBe('main');
  });

  it('long contexts are cut at 20 characters like Go', () => {
    const err = errorOf(() => renderTemplate('t', '{{ fail "a very long message here" }}', {}));
    expect(err.message).toContain('at <fail "a very long me...>');
  });
});

describe('errors never include data values', () => {
  const secret = 'hunter2-S3CRET';
  const data = { password: secret, json: `{"a":"${secret}"`, n: '5' };
  const templates = [
    '{{ .password.x }}',
    '{{ index .password 99 }}',
    '{{ eq .password 1 }}',
    '{{ lt .password true }}',
    '{{ range .password }}{{ end }}',
    '{{ mustFromJson .json }}',
    '{{ regexFind (printf "(%s" .password) "x" }}',
    '{{ upper (list .password) }}',
    '{{ len (atoi .password) | upper }}',
    '{{ first .password }}',
    '{{ slice .password 1 99 }}',
    '{{ jwkPublicKeyPem .password }}',
    '{{ jwkPrivateKeyPem .json }}',
    '{{ (fromJson .json).a.b }}',
  ];
  it.each(templates)('%s', (tpl) => {
    const err = errorOf(() => renderTemplate('t', tpl, data));
    expect(err.message).not.toContain(secret);
    expect(err.message).not.toContain('S3CRET');
  });
});

describe('Template', () => {
  it('parses once and executes with different data', () => {
    const t = parseTemplate('t', '{{ .user }}:{{ .password | b64enc }}');
    expect(t.execute({ user: 'a', password: 'b' })).toBe('a:Yg==');
    expect(t.execute({ user: 'c', password: 'd' })).toBe('c:ZA==');
  });

  it('accepts a Map as data', () => {
    expect(renderTemplate('t', '{{ .k }}', new Map([['k', 'v']]))).toBe('v');
  });

  it('missingKey error fails like ESO (missingkey=error)', () => {
    const t = parseTemplate('t', '{{ .nope }}');
    const err = errorOf(() => t.execute({ a: 'x' }, { missingKey: 'error' }));
    expect(err.message).toContain('map has no entry for key "nope"');
    expect(t.execute({ a: 'x' }, { missingKey: 'zero' })).toBe('');
    expect(t.execute({ a: 'x' })).toBe('<no value>');
  });

  it('supports extra and overriding functions', () => {
    const funcs = { shout: (s: string) => `${s}!`, upper: (s: string) => `U(${s})` };
    const t = parseTemplate('t', '{{ shout .a }} {{ upper .a }}', { funcs });
    expect(t.execute({ a: 'x' }, { funcs })).toBe('x! U(x)');
  });

  it('wraps errors thrown by extra functions', () => {
    const funcs = {
      boom: () => {
        throw new Error('nope');
      },
    };
    const err = errorOf(() => renderTemplate('t', '{{ boom }}', {}, { funcs }));
    expect(err.message).toContain('error calling boom: nope');
  });
});

describe('PEM and JWK helpers', () => {
  const cert = '-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n';
  const key = '-----BEGIN PRIVATE KEY-----\nREVG\n-----END PRIVATE KEY-----\n';

  it('filterPEM keeps the blocks of one type', () => {
    const data = { bundle: key + cert + cert };
    expect(renderTemplate('t', '{{ .bundle | filterPEM "CERTIFICATE" }}', data)).toBe(cert + cert);
    expect(renderTemplate('t', '{{ .bundle | filterPEM "PRIVATE KEY" }}', data)).toBe(key);
  });

  it('filterPEM fails on input without PEM', () => {
    const err = errorOf(() => renderTemplate('t', '{{ filterPEM "CERTIFICATE" .x }}', { x: 'not pem' }));
    expect(err.message).toContain('error filtering pem: found junk');
  });

  it('filterPEM rewraps base64 at 64 columns', () => {
    const body = Buffer.alloc(60, 7).toString('base64');
    const out = renderTemplate('t', '{{ filterPEM "X" .p }}', {
      p: `-----BEGIN X-----\n${body}\n-----END X-----`,
    });
    expect(out.split('\n').map((l) => l.length)).toEqual([17, 64, 16, 15, 0]);
  });

  it('jwkPublicKeyPem and jwkPrivateKeyPem convert like node:crypto', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const data = {
      pub: JSON.stringify(publicKey.export({ format: 'jwk' })),
      priv: JSON.stringify(privateKey.export({ format: 'jwk' })),
    };
    expect(renderTemplate('t', '{{ .pub | jwkPublicKeyPem }}', data)).toBe(
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
    expect(renderTemplate('t', '{{ .priv | jwkPrivateKeyPem }}', data)).toBe(
      privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    expect(renderTemplate('t', '{{ .priv | jwkPublicKeyPem }}', data)).toBe(
      publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );
  });

  it('PKCS#12 functions report a bundle they cannot read without echoing it', () => {
    const t = parseTemplate('t', '{{ .p12 | pkcs12key }}');
    const err = errorOf(() => t.execute({ p12: 'not-a-bundle-s3cr3t' }));
    expect(err.message).toContain('pkcs12keyPass: unable to decode pkcs12');
    expect(err.message).not.toContain('s3cr3t');
  });
});
