// The functions whose output is random or depends on the clock, tested by shape and property:
// lengths and alphabets, round trips (encryptAES/decryptAES, bcrypt verifying), keys that
// parse, a CA that verifies the certificate genSignedCert made; the clock injected.

import {
  X509Certificate,
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  publicEncrypt,
} from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BUDGET, COST, costly, costlyMs } from './cost.js';
import { readDer } from './der.js';
import { setClock } from './gotime.js';
import { TemplateError, renderTemplate, withCostBudget } from './index.js';
import { cpuMs } from './cputime.js';

const render = (tpl: string, data: Record<string, unknown> = {}): string => renderTemplate('t', tpl, data);

function failure(tpl: string, data: Record<string, unknown> = {}): TemplateError {
  try {
    render(tpl, data);
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('expected a template error');
}

const bcryptjs = createRequire(import.meta.url)('bcryptjs') as { compareSync(p: string, h: string): boolean };

/** A root CA, an intermediate CA and a leaf made by openssl (which writes key identifiers). */
function opensslChain(): { root: string; inter: string; leaf: string } {
  const dir = mkdtempSync(join(tmpdir(), 'syncret-chain-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  try {
    const ids = 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n';
    writeFileSync(join(dir, 'ca.ext'), `basicConstraints=critical,CA:TRUE\n${ids}`);
    writeFileSync(join(dir, 'leaf.ext'), ids);
    ssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'root.key',
      '-out',
      'root.crt',
      '-days',
      '1',
      '-subj',
      '/CN=root',
    );
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'inter.key',
      '-out',
      'inter.csr',
      '-subj',
      '/CN=inter',
    );
    ssl(
      'x509',
      '-req',
      '-in',
      'inter.csr',
      '-CA',
      'root.crt',
      '-CAkey',
      'root.key',
      '-out',
      'inter.crt',
      '-days',
      '1',
      '-extfile',
      'ca.ext',
    );
    ssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.csr',
      '-subj',
      '/CN=leaf',
    );
    ssl(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'inter.crt',
      '-CAkey',
      'inter.key',
      '-out',
      'leaf.crt',
      '-days',
      '1',
      '-extfile',
      'leaf.ext',
    );
    const read = (f: string) => new X509Certificate(readFileSync(join(dir, f))).toString();
    return { root: read('root.crt'), inter: read('inter.crt'), leaf: read('leaf.crt') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Splits concatenated PEM blocks. */
const pems = (text: string): string[] =>
  text.match(/-----BEGIN [^-]+-----[\s\S]*?-----END [^-]+-----\n/g) ?? [];

describe('random strings', () => {
  it.each([
    ['randAlphaNum', /^[A-Za-z0-9]{64}$/],
    ['randAlpha', /^[A-Za-z]{64}$/],
    ['randNumeric', /^[0-9]{64}$/],
    ['randAscii', /^[\x20-\x7e]{64}$/],
  ])('%s gives 64 characters of its alphabet, different each time', (fn, shape) => {
    const a = render(`{{ ${fn} 64 }}`);
    expect(a).toMatch(shape);
    expect(render(`{{ ${fn} 64 }}`)).not.toBe(a);
  });

  it('covers the whole alphabet', () => {
    const seen = new Set(render('{{ randAlphaNum 4000 }}'));
    expect(seen.size).toBe(62);
  });

  it('randBytes is base64 of that many bytes', () => {
    expect(Buffer.from(render('{{ randBytes 24 }}'), 'base64')).toHaveLength(24);
    expect(render('{{ randBytes 0 }}')).toBe('');
  });

  it('randInt stays in [min, max)', () => {
    const values = new Set(render('{{ range until 200 }}{{ randInt 3 6 }} {{ end }}').trim().split(' '));
    expect([...values].sort()).toEqual(['3', '4', '5']);
  });

  it('refuses sizes beyond a Secret', () => {
    expect(failure('{{ randAlphaNum 2000000 }}').message).toContain('exceeds');
    expect(failure('{{ randBytes 2000000 }}').message).toContain('exceeds');
  });

  it('shuffle keeps the characters', () => {
    expect([...render('{{ shuffle "abcdefghij" }}')].sort().join('')).toBe('abcdefghij');
  });

  it('uuidv4 is a v4 UUID', () => {
    expect(render('{{ uuidv4 }}')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('bcrypt and htpasswd', () => {
  it('bcrypt writes $2a$10$ as Go does and verifies', () => {
    const hash = render('{{ bcrypt .p }}', { p: 'correct horse' });
    expect(hash).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcryptjs.compareSync('correct horse', hash)).toBe(true);
    expect(bcryptjs.compareSync('wrong', hash)).toBe(false);
  });

  it('htpasswd with bcrypt', () => {
    const line = render('{{ htpasswd "admin" .p "bcrypt" }}', { p: 's3cret' });
    const [user, hash] = line.split(':');
    expect(user).toBe('admin');
    expect(bcryptjs.compareSync('s3cret', hash ?? '')).toBe(true);
  });
});

describe('encryptAES and decryptAES', () => {
  it('round-trip, with a fresh IV each time', () => {
    const data = { k: 'key material', v: 'the value: ünïcode' };
    const a = render('{{ encryptAES .k .v }}', data);
    expect(a).not.toBe(render('{{ encryptAES .k .v }}', data));
    expect(render('{{ encryptAES .k .v | decryptAES .k }}', data)).toBe(data.v);
  });

  it('is AES-256-CBC with the IV in front and the key zero-padded', () => {
    const out = Buffer.from(render('{{ encryptAES "short" "hello" }}'), 'base64');
    const key = Buffer.alloc(32);
    Buffer.from('short').copy(key);
    const d = createDecipheriv('aes-256-cbc', key, out.subarray(0, 16));
    expect(Buffer.concat([d.update(out.subarray(16)), d.final()]).toString()).toBe('hello');
    const iv = Buffer.alloc(16, 1);
    const c = createCipheriv('aes-256-cbc', key, iv);
    const mine = Buffer.concat([iv, c.update('from node'), c.final()]).toString('base64');
    expect(render('{{ decryptAES "short" .c }}', { c: mine })).toBe('from node');
  });

  it('fails as Go panics on input that is too short, and never echoes it', () => {
    const e = failure('{{ decryptAES "k" .c }}', { c: 'c2VjcmV0' });
    expect(e.message).toContain('slice bounds out of range');
    expect(e.message).not.toContain('c2VjcmV0');
  });
});

describe('genPrivateKey', () => {
  it.each([
    ['rsa', 'RSA PRIVATE KEY', 'rsa', 4096],
    ['ecdsa', 'EC PRIVATE KEY', 'ec', undefined],
    ['ed25519', 'PRIVATE KEY', 'ed25519', undefined],
  ])('%s gives a %s block', (type, block, kind, bits) => {
    const pem = render(`{{ genPrivateKey "${type}" }}`);
    expect(pem.startsWith(`-----BEGIN ${block}-----\n`)).toBe(true);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe(kind);
    if (bits) expect(key.asymmetricKeyDetails?.modulusLength).toBe(bits);
  });

  it('dsa gives the OpenSSL DSA form that openssl and Go read', () => {
    const pem = render('{{ genPrivateKey "dsa" }}');
    expect(pem.startsWith('-----BEGIN DSA PRIVATE KEY-----\n')).toBe(true);
    expect(createPrivateKey(pem).asymmetricKeyType).toBe('dsa');
  });
});

describe('certificates', () => {
  it('genCA makes a CA whose key signs what genSignedCert makes', () => {
    const out = render(
      '{{ $ca := genCA "my-ca" 30 }}{{ $c := genSignedCert "leaf" (list "10.0.0.1" "2001:db8::1") (list "a.example" "b.example") 7 $ca }}{{ $ca.Cert }}{{ $c.Cert }}{{ $c.Key }}',
    );
    const [caPem, leafPem, keyPem] = pems(out);
    const ca = new X509Certificate(caPem!);
    const leaf = new X509Certificate(leafPem!);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=my-ca');
    expect(ca.checkIssued(ca)).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.issuer).toBe('CN=my-ca');
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.checkPrivateKey(createPrivateKey(keyPem!))).toBe(true);
    expect(leaf.subjectAltName).toBe(
      'DNS:a.example, DNS:b.example, IP Address:10.0.0.1, IP Address:2001:DB8:0:0:0:0:0:1',
    );
    expect(keyPem!.startsWith('-----BEGIN RSA PRIVATE KEY-----')).toBe(true);
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86400000;
    expect(days).toBe(7);
  });

  it("filterCertChain fails on Sprig's own pairs, as in ESO: a leaf without SubjectKeyId matches a root without AuthorityKeyId", () => {
    const e = failure(
      '{{ $ca := genCA "root" 1 }}{{ $c := genSignedCert "svc" nil (list "svc.local") 1 $ca }}{{ filterCertChain "leaf" (print $c.Cert $ca.Cert) }}',
    );
    expect(e.message).toContain('no leaf certificate found');
    expect(
      render(
        '{{ $c := genSelfSignedCert "svc" (list "10.1.2.3") (list "svc.local") 1 }}{{ certSANs $c.Cert | join "," }}',
      ),
    ).toBe('svc.local,10.1.2.3');
  });

  it('filterCertChain orders an openssl chain leaf → intermediate → root, whatever the input order', () => {
    const { root, inter, leaf } = opensslChain();
    const bundle = [inter, root, leaf].join('');
    const pick = (type: string) => render(`{{ filterCertChain "${type}" .b }}`, { b: bundle });
    expect(pick('leaf')).toBe(leaf);
    expect(pick('intermediate')).toBe(inter);
    expect(pick('root')).toBe(root);
    expect(pick('other')).toBe('');
    expect(render('{{ filterCertChain "root" .b }}', { b: leaf + inter })).toBe('');
    expect(failure('{{ filterCertChain "leaf" .b }}', { b: leaf + root }).message).toContain(
      'found multiple leaf or disjunct certificates',
    );
  });

  it("certSANs prints IP addresses as Go's net.IP.String does (values recorded from Go)", () => {
    const ips = [
      '::1',
      '2001:db8::',
      '2001:db8:0:0:1:0:0:1',
      'fe80::1:2',
      '::ffff:1.2.3.4',
      '0:0:0:0:0:0:0:0',
    ];
    ips.push(
      '1:0:0:2:0:0:0:3',
      '2001:0db8:0000:0000:0000:ff00:0042:8329',
      '::2:3:4:5:6:7:8',
      '1::',
      '::1.2.3.4',
    );
    ips.push('10.0.0.1', 'FE80::ABCD');
    const out = render('{{ $c := genSelfSignedCert "x" .ips nil 1 }}{{ certSANs $c.Cert | join "," }}', {
      ips,
    });
    expect(out).toBe(
      '::1,2001:db8::,2001:db8::1:0:0:1,fe80::1:2,1.2.3.4,::,1:0:0:2::3,2001:db8::ff00:42:8329,0:2:3:4:5:6:7:8,1::,::102:304,10.0.0.1,fe80::abcd',
    );
  });

  it('the *WithKey forms use the given key, EC and Ed25519 included', () => {
    for (const type of ['ecdsa', 'ed25519', 'rsa']) {
      const out = render(
        `{{ $k := genPrivateKey "${type}" }}{{ $ca := genCAWithKey "k-ca" 1 $k }}{{ $c := genSignedCertWithKey "x" nil nil 1 $ca $k }}{{ $s := genSelfSignedCertWithKey "self" nil nil 1 $k }}{{ $ca.Cert }}{{ $c.Cert }}{{ $s.Cert }}{{ $k }}`,
      );
      const [caPem, certPem, selfPem, keyPem] = pems(out);
      const pub = createPublicKey(createPrivateKey(keyPem!));
      const ca = new X509Certificate(caPem!);
      expect(ca.publicKey.export({ format: 'der', type: 'spki' })).toEqual(
        pub.export({ format: 'der', type: 'spki' }),
      );
      expect(new X509Certificate(certPem!).verify(ca.publicKey)).toBe(true);
      expect(new X509Certificate(selfPem!).verify(pub)).toBe(true);
    }
  });

  it('genSelfSignedCert is self-signed and not a CA', () => {
    const [pem] = pems(render('{{ (genSelfSignedCert "me" (list "127.0.0.1") nil 1).Cert }}'));
    const c = new X509Certificate(pem!);
    expect(c.ca).toBe(false);
    expect(c.verify(c.publicKey)).toBe(true);
    expect(c.subjectAltName).toBe('IP Address:127.0.0.1');
  });

  it('buildCustomCert takes base64 PEM and gives the struct back', () => {
    const ca = render('{{ $ca := genCA "c" 1 }}{{ $ca.Cert | b64enc }}|{{ $ca.Key | b64enc }}');
    const [c, k] = ca.split('|');
    const out = render('{{ $x := buildCustomCert .c .k }}{{ $x.Cert | b64enc }}|{{ typeOf $x }}', { c, k });
    expect(out).toBe(`${c}|sprig.certificate`);
  });

  it('genSignedCert needs the certificate struct, not a dict', () => {
    expect(failure('{{ genSignedCert "x" nil nil 1 (dict "Cert" "" "Key" "") }}').message).toContain(
      'expected sprig.certificate',
    );
  });
});

describe('rsaDecrypt', () => {
  it('undoes RSA-OAEP with the named hash, the key as PKCS#1 or PKCS#8', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    for (const [hash, oaepHash] of [
      ['SHA256', 'sha256'],
      ['SHA1', 'sha1'],
      ['SHA512', 'sha512'],
      ['None', 'sha256'],
    ] as const) {
      const c = publicEncrypt(
        { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
        Buffer.from('s3cret'),
      );
      for (const type of ['pkcs1', 'pkcs8'] as const) {
        const key = privateKey.export({ type, format: 'pem' }).toString();
        expect(
          render(`{{ rsaDecrypt "RSA-OAEP" "${hash}" (.c | b64dec) .k }}`, {
            c: c.toString('base64'),
            k: key,
          }),
        ).toBe('s3cret');
      }
    }
    expect(render('{{ rsaDecrypt "None" "" "as is" "" }}')).toBe('as is');
    expect(failure('{{ rsaDecrypt "RSA-PSS" "" "x" "" }}').message).toContain(
      'decryption scheme RSA-PSS is not supported',
    );
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'sec1',
      format: 'pem',
    });
    expect(failure('{{ rsaDecrypt "RSA-OAEP" "SHA256" "x" .k }}', { k: ec.toString() }).message).toContain(
      'could not parse RSA private key',
    );
  });
});

describe('interoperability with Go (artifacts Go 1.26 + Sprig wrote)', () => {
  // {{ encryptAES "secretkey" "plaintext value" }}, {{ bcrypt "correct horse" }}, and
  // {{ genCA "my-ca" 30 }} with {{ genSignedCert "leaf" (list "10.0.0.1" "::ffff:1.2.3.4"
  // "2001:db8::1") (list "a.example" "b.example") 30 $ca }}, as Go printed them.
  const goCipher = '+nQm/ZCf8exGZFABIz3G+Bt8PiZUDRu6HhIePvo/BnM=';
  const goBcrypt = '$2a$10$6yfofaJPg9wC4qBS07H8i.iiQEWEwa/tabE2QcuNVYzNeQqQ8CVNS';
  const goCA =
    '-----BEGIN CERTIFICATE-----\nMIIDDDCCAfSgAwIBAgIRAKXLk/N87Pb6UAKDNaz7c00wDQYJKoZIhvcNAQELBQAw\nEDEOMAwGA1UEAxMFbXktY2EwHhcNMjYxMjAxMjMzMDA1WhcNMjYxMjMxMjMzMDA1\nWjAQMQ4wDAYDVQQDEwVteS1jYTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoC\nggEBAKnnpGzqPfgHetJYyJqE21jO0QlyY5NEvdpeXOgcy4hYKx6C7rqGrie/IpZ9\nPyPnpw3wvtTCdTfBcaLr0k4fBl6VPMMxYKnA4BpU1vzeYHCPNe/q8f3UKPejS0ga\nt3vGa9BWCnwROXX/1jKj91cEXo5BchhcCz2z/dGl/kDss3lnUeJTpvcD3LNqXKUa\nKt/LKZJjuLh/Hplc1eBRE0ebuVkZC0ZK+qUC4gcewjd7btLRDMF7/UiVlF/n6eAo\nti3KlgmNYYsNt2dDMyp1oEs89KCTKw6D/hXtF0UJgoCgh+K3XPWyqPyvHzUqb6jH\nLfnUXtJkyEn2/x3rpP/ys/syoYcCAwEAAaNhMF8wDgYDVR0PAQH/BAQDAgKkMB0G\nA1UdJQQWMBQGCCsGAQUFBwMBBggrBgEFBQcDAjAPBgNVHRMBAf8EBTADAQH/MB0G\nA1UdDgQWBBSyGZlM5lov1XPxUU9J8/kXUj+k0DANBgkqhkiG9w0BAQsFAAOCAQEA\nmAH4OU0BJJDUWfKT3jhYU1qClzzrLyvTNwYnOXdWHWrnSJlnI2DV3MUxzRJkRofH\nuUkau/EgjTs4Z+sr3S3KIiflLBDjP+2Q39hX3SjJ8RTqfPHfDaAh0CKMVwl/t/F8\n9uWpQ0cYLpmBM8Tk/PeUBz0XsQzZKNuiY7qbYPYeBpopJYcj6TB/54AOx4X8YWpV\nVTM85i+UVHbIWXRnQvAWICMC1IHh6ssyH7qJxvAyusqF0NZ8T/8PU+0VVgJBpuYC\ngHaW2K9sfykp4O1GVAJi9rJLwXKM5/HsOYkOYzrnW0DlJ6AmNxgPWj5Vam3schWS\nWOGbWsAwyYcWO5TiJ1RetQ==\n-----END CERTIFICATE-----\n';
  const goLeaf =
    '-----BEGIN CERTIFICATE-----\nMIIDSzCCAjOgAwIBAgIRAM2ptmFu9T2c8XByzwpfXE0wDQYJKoZIhvcNAQELBQAw\nEDEOMAwGA1UEAxMFbXktY2EwHhcNMjYxMjAxMjMzMDA1WhcNMjYxMjMxMjMzMDA1\nWjAPMQ0wCwYDVQQDEwRsZWFmMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKC\nAQEAyIbDDQAVQg0JVYE4P+b1TvZmQoesCOdeK45Ko5cmekN4ZO6ik0FqHFFlKwek\neGXpEtpmi0h48PfITcUEwab5xenKcBU/+4Yy7s8kFiwdEI2xbDFTb20M3KiYb/SE\nBO2spXYLnrobaSQobbk0Y+6Cy+dPjV2CYsWOiqkkxoply9b78HJL44QikM4FXfSs\n2rc/InC91tIixT/Q7ShedMikGoOFyamLAj91LBg+/y+VrVwHf2JgT0omDIobqdBW\nIjstadovnSw64L6D2tZtt/ygHamv+HhOW/SG9TZ+r7kVVnsXr6ujhImgpvSFmoPl\nfj9EdTdiuoUYTnNn4jUm2YRxfwIDAQABo4GgMIGdMA4GA1UdDwEB/wQEAwIFoDAd\nBgNVHSUEFjAUBggrBgEFBQcDAQYIKwYBBQUHAwIwDAYDVR0TAQH/BAIwADAfBgNV\nHSMEGDAWgBSyGZlM5lov1XPxUU9J8/kXUj+k0DA9BgNVHREENjA0gglhLmV4YW1w\nbGWCCWIuZXhhbXBsZYcECgAAAYcEAQIDBIcQIAENuAAAAAAAAAAAAAAAATANBgkq\nhkiG9w0BAQsFAAOCAQEAph2WT7amjqxrzMnIrK7HNPtbmI1yJkGwh61om7r3STq+\nRSoVBNOqyS1TFAY8V5sz/gZmCvrufqVBX2nQBCPrgGzY30a38GvSjpHzMRCaqQnF\nv+NTrG7XXAd56Y6rvmjCjwUikmvS1EG8ntWOFXjdfSLtsQwd2lyZ57QlHm9h4qjK\nmKzo96wjDhH4n3IyVcCw8Pwd9imJopecxg9cD7GgX1fAKs4L9LkXLSHVz7yUOkLi\nerso0EunT/R/UIoGF7XaXdub1uNpzGpJoNJ1Y2CMsOtah1wUPU+LkV9tvlrqwB9z\nEfwPwT1z7r6G1D9G+0ZXlDQYInt8jmI+pDMQKAFgDQ==\n-----END CERTIFICATE-----\n';

  it("decryptAES reads Go's encryptAES, and bcryptjs verifies Go's bcrypt", () => {
    expect(render('{{ decryptAES "secretkey" .c }}', { c: goCipher })).toBe('plaintext value');
    expect(bcryptjs.compareSync('correct horse', goBcrypt)).toBe(true);
  });

  /** The layout of a certificate, without its random or key-dependent values. */
  function layout(pem: string): unknown {
    const der = new X509Certificate(pem).raw;
    const [tbs, sigAlg] = readDer(der).children();
    const parts = tbs!.children();
    const exts = parts
      .find((p) => p.tag === 0xa3)!
      .children()[0]!
      .children();
    return {
      version: parts[0]!.raw.toString('hex'),
      serialBytes: parts[1]!.content.length <= 17,
      sigAlg: sigAlg!.raw.toString('hex'),
      issuer: parts[3]!.raw.toString('hex'),
      validityTags: parts[4]!.children().map((t) => t.tag),
      subject: parts[5]!.raw.toString('hex'),
      extensions: exts.map((e) => {
        const [oid, ...rest] = e.children();
        const value = rest[rest.length - 1]!.content;
        // Key identifiers are key-dependent: keep their length only.
        const id = oid!.content.toString('hex');
        const keyDependent = id === '551d0e' || id === '551d23';
        return [id, rest.length === 2, keyDependent ? value.length : value.toString('hex')];
      }),
    };
  }

  it('genCA and genSignedCert lay certificates out as Go does (extensions, order, criticality, names)', () => {
    const out = render(
      '{{ $ca := genCA "my-ca" 30 }}{{ $c := genSignedCert "leaf" (list "10.0.0.1" "::ffff:1.2.3.4" "2001:db8::1") (list "a.example" "b.example") 30 $ca }}{{ $ca.Cert }}{{ $c.Cert }}',
    );
    const [ca, leaf] = pems(out);
    expect(layout(ca!)).toEqual(layout(goCA));
    expect(layout(leaf!)).toEqual(layout(goLeaf));
  });
});

describe('pemToPkcs12 and fullPemToPkcs12', () => {
  it.each(['ecdsa', 'ed25519', 'rsa'])(
    'write a %s key and its chain as go-pkcs12 does, which openssl and pkcs12key read back',
    (type) => {
      const out = render(
        `{{ $k := genPrivateKey "${type}" }}{{ $ca := genCA "ca" 1 }}{{ $c := genSignedCertWithKey "leaf" nil nil 1 $ca $k }}` +
          '{{ $p := fullPemToPkcs12Pass (print $c.Cert $ca.Cert) $k "pw" }}{{ $p }}|{{ $k }}|{{ $p | b64dec | pkcs12keyPass "pw" }}|{{ $p | b64dec | pkcs12certPass "pw" }}',
      );
      const [b64, keyPem, keyBack, chain] = out.split('|');
      const der = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
      expect(der(keyBack!)).toEqual(der(keyPem!));
      expect(pems(chain!).map((c) => new X509Certificate(c).subject)).toEqual(['CN=leaf', 'CN=ca']);
      const dir = mkdtempSync(join(tmpdir(), 'syncret-kb-'));
      try {
        writeFileSync(join(dir, 'kb.p12'), Buffer.from(b64!, 'base64'));
        const r = spawnSync('openssl', ['pkcs12', '-in', 'kb.p12', '-passin', 'pass:pw', '-nodes', '-info'], {
          cwd: dir,
          encoding: 'utf8',
        });
        expect(r.status).toBe(0);
        expect(r.stdout.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
        expect(r.stdout).toContain('BEGIN PRIVATE KEY');
        expect(r.stderr).toContain(
          'Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256',
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('fail as ESO does on input without a certificate or key block', () => {
    expect(failure('{{ pemToPkcs12 "junk" "junk" }}').message).toContain('nil pointer dereference');
  });
});

describe('pemTruststoreToPKCS12', () => {
  it('writes a PKCS#12 whose MAC and encryption node-forge reads, each certificate trusted', async () => {
    const forge = (await import('node-forge')).default;
    const out = render(
      '{{ $a := genCA "one" 1 }}{{ $b := genCA "two" 1 }}{{ pemTruststoreToPKCS12Pass (print $a.Cert $b.Cert) "changeit" }}',
    );
    const p12 = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(Buffer.from(out, 'base64').toString('binary')),
      true,
      'changeit',
    );
    const bags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    expect(bags.map((b) => b.attributes.friendlyName?.[0])).toEqual(['CN=one', 'CN=two']);
    // openssl reads the layout go-pkcs12's Modern encoder writes (Java's keytool and go-pkcs12's
    // DecodeTrustStore read these files as trusted entries too).
    const dir = mkdtempSync(join(tmpdir(), 'syncret-ts-'));
    try {
      writeFileSync(join(dir, 'ts.p12'), Buffer.from(out, 'base64'));
      const r = spawnSync(
        'openssl',
        ['pkcs12', '-in', 'ts.p12', '-passin', 'pass:changeit', '-nokeys', '-info'],
        {
          cwd: dir,
          encoding: 'utf8',
        },
      );
      expect(r.status).toBe(0);
      expect(r.stdout.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
      expect(r.stderr).toContain('MAC: sha256, Iteration 2048');
      expect(r.stderr).toContain('PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() =>
      forge.pkcs12.pkcs12FromAsn1(
        forge.asn1.fromDer(Buffer.from(out, 'base64').toString('binary')),
        true,
        'wrong',
      ),
    ).toThrow();
  });
});

describe('the clock', () => {
  afterEach(() => setClock(undefined));
  const at = (sec: number) => () => ({ sec, nsec: 500, mono: 1_500_000_000n });

  it('now, ago and date read the injected clock', () => {
    setClock(at(1700000000));
    expect(render('{{ now.Unix }} {{ now.UTC }}')).toBe('1700000000 2023-11-14 22:13:20.0000005 +0000 UTC');
    expect(render('{{ ago 1699996339 }}')).toBe('1h1m1s');
    expect(render('{{ dateInZone "2006-01-02 15:04" "not a time" "UTC" }}')).toBe('2023-11-14 22:13');
    expect(render('{{ (toDate "2006-01-02" "2023-11-14") | durationRound }}')).toBe('22h');
  });

  it('now prints its monotonic reading as Go does', () => {
    setClock(at(1700000000));
    expect(render('{{ dateInZone "2006" now "UTC" }} {{ now.String | trimAll "0123456789-:. +UTC" }}')).toBe(
      '2023 m=',
    );
    expect(render('{{ (now.In (now.UTC.Location)) }}')).toBe('2023-11-14 22:13:20.0000005 +0000 UTC');
  });

  it('the real clock is close to Date.now()', () => {
    const unix = Number(render('{{ now.Unix }}'));
    expect(Math.abs(unix - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe('values never reach messages', () => {
  it.each([
    ['{{ mustToDate "2006-01-02" .v }}'],
    ['{{ mustDateModify .v now }}'],
    ['{{ semver .v }}'],
    ['{{ semverCompare .v "1.0.0" }}'],
    ['{{ urlParse .v }}'],
    ['{{ decryptAES "k" .v }}'],
    ['{{ rsaDecrypt "RSA-OAEP" "SHA256" .v .v }}'],
    ['{{ certSANs .v }}'],
    ['{{ filterCertChain "leaf" .v }}'],
    ['{{ genCAWithKey "x" 1 .v }}'],
  ])('%s', (tpl) => {
    const v = 'http://x y/TOPSECRET-VALUE%zz';
    const e = failure(tpl, { v });
    expect(e.message).not.toContain('TOPSECRET');
  });
});

describe('the budget for expensive functions', () => {
  const keys = Math.floor(BUDGET / COST.rsa4096);
  const charge = (what: keyof typeof COST) => costly(what, () => undefined);

  it(`is shared by the templates of one render and exhausted by RSA-4096 key ${keys + 1}`, () => {
    withCostBudget(() => {
      for (let i = 0; i < keys; i++) charge('rsa4096');
      expect(() => charge('rsa4096')).toThrow('exceed their budget');
    });
  });

  it('times the costly work apart, so the CPU-time limit does not count it twice', () => {
    const before = costlyMs();
    withCostBudget(() =>
      costly('bcrypt', () => {
        const end = cpuMs() + 20;
        while (cpuMs() < end);
      }),
    );
    expect(costlyMs() - before).toBeGreaterThanOrEqual(20);
  });

  it('fails the template that crosses it, with a TemplateError naming no value', () => {
    const e = withCostBudget(() => {
      for (let i = 0; i < Math.floor(BUDGET / COST.bcrypt); i++) charge('bcrypt');
      return failure('{{ bcrypt .p }}', { p: 'hunter22' });
    });
    expect(e.message).toContain('error calling bcrypt: the render');
    expect(e.message).not.toContain('hunter22');
  });

  it('starts afresh with each render', () => {
    withCostBudget(() => {
      for (let i = 0; i < keys; i++) charge('rsa4096');
    });
    expect(render('{{ bcrypt "x" | len }}')).toBe('60');
  });
});
