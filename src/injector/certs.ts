// The webhook's own TLS: a CA and a serving certificate it signs, made with node-forge on RSA
// keys from node:crypto (forge's own key generation is slow pure JavaScript). What needs
// replacing is decided here, so the rotation loop (tls.ts) only reads, writes and patches.

import { X509Certificate, generateKeyPair, sign } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface TlsMaterial {
  /** The CA that signs now (PEM). */
  caCert: string;
  caKey: string;
  /** Earlier CAs still within their validity, trusted until they expire (PEM, concatenated). */
  previousCAs: string;
  cert: string;
  key: string;
}

const generate = promisify(generateKeyPair);

async function rsaKey(): Promise<{ forgeKey: forge.pki.rsa.PrivateKey; pem: string }> {
  const { privateKey } = await generate('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { forgeKey: forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey, pem };
}

function publicOf(k: forge.pki.rsa.PrivateKey): forge.pki.rsa.PublicKey {
  return forge.pki.setRsaPublicKey(k.n, k.e);
}

/** Signs with node:crypto (forge's RSA signing is pure JavaScript, ten times slower). */
function signCert(c: forge.pki.Certificate, keyPem: string): string {
  const oid = forge.pki.oids.sha256WithRSAEncryption!;
  c.signatureOid = oid;
  c.siginfo.algorithmOid = oid;
  // getTBSCertificate is public in forge but missing from its type declarations.
  const tbs = (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(c);
  c.tbsCertificate = tbs;
  c.signature = sign('sha256', Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary'), keyPem).toString(
    'binary',
  );
  // forge writes CRLF line ends; PEM elsewhere in Kubernetes has LF.
  return forge.pki.certificateToPem(c).replaceAll('\r\n', '\n');
}

function serial(): string {
  // Positive and minimal in DER: the first hex digit 1-7 (a leading 0x00 byte that is not
  // needed is invalid DER, and OpenSSL then refuses to read the certificate).
  return `${1 + Math.floor(Math.random() * 7)}${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
}

function validity(c: forge.pki.Certificate, now: number, ms: number): void {
  // Backdated a little: the apiserver's clock may be behind ours. A tenth of the life at most,
  // so a short-lived certificate is not due for renewal the moment it is issued.
  c.validity.notBefore = new Date(now - Math.min(60_000, ms / 10));
  c.validity.notAfter = new Date(now + ms);
}

export async function newCA(
  commonName: string,
  now: number,
  validityMs: number,
): Promise<{ cert: string; key: string }> {
  const { forgeKey, pem } = await rsaKey();
  const c = forge.pki.createCertificate();
  c.publicKey = publicOf(forgeKey);
  c.serialNumber = serial();
  validity(c, now, validityMs);
  const name = [{ name: 'commonName', value: commonName }];
  c.setSubject(name);
  c.setIssuer(name);
  c.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return { cert: signCert(c, pem), key: pem };
}

/** A serving certificate for `names` (DNS names and IP addresses), signed by the CA. */
export async function newServingCert(
  ca: { cert: string; key: string },
  names: string[],
  now: number,
  validityMs: number,
): Promise<{ cert: string; key: string }> {
  const { forgeKey, pem } = await rsaKey();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const c = forge.pki.createCertificate();
  c.publicKey = publicOf(forgeKey);
  c.serialNumber = serial();
  validity(c, now, validityMs);
  c.setSubject([{ name: 'commonName', value: names[0] ?? 'syncret-injector' }]);
  c.setIssuer(caCert.subject.attributes);
  c.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    {
      name: 'subjectAltName',
      altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })),
    },
  ]);
  return { cert: signCert(c, ca.key), key: pem };
}

/** Every certificate of a PEM bundle. */
export function splitPem(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
}

function parse(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** True when less than a third of the certificate's life is left (or it is unreadable). */
export function dueForRenewal(pem: string, now: number): boolean {
  const c = parse(pem);
  if (!c) return true;
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  return now >= to - (to - from) / 3;
}

function sansOf(c: X509Certificate): string[] {
  return (c.subjectAltName ?? '')
    .split(', ')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean)
    .sort();
}

export type RenewalReason = 'no certificate' | 'CA due' | 'certificate due' | 'names changed' | 'other CA';

/** What must be made again, if anything. */
export function renewalReason(
  m: TlsMaterial | undefined,
  names: string[],
  now: number,
): RenewalReason | undefined {
  if (!m) return 'no certificate';
  if (dueForRenewal(m.caCert, now)) return 'CA due';
  const cert = parse(m.cert);
  const ca = parse(m.caCert);
  if (!cert || !ca) return 'no certificate';
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'other CA';
  if (dueForRenewal(m.cert, now)) return 'certificate due';
  if (sansOf(cert).join(',') !== [...names].sort().join(',')) return 'names changed';
  return undefined;
}

/** The certificates of a bundle that have not expired. */
function liveCAs(bundle: string, now: number): string {
  return splitPem(bundle)
    .filter((p) => {
      const c = parse(p);
      return c && Date.parse(c.validTo) > now;
    })
    .map((p) => p.trimEnd() + '\n')
    .join('');
}

/** The CAs a client should trust: the current one first, then earlier ones not yet expired. */
export function caBundle(m: TlsMaterial, now: number): string {
  return m.caCert.trimEnd() + '\n' + liveCAs(m.previousCAs, now);
}

/** The next material: a new CA when due (the old one kept in the bundle), a new serving certificate. */
export async function renew(
  m: TlsMaterial | undefined,
  reason: RenewalReason,
  names: string[],
  now: number,
  v: { caMs: number; certMs: number },
): Promise<TlsMaterial> {
  const keepCA = m && reason !== 'CA due' && reason !== 'no certificate';
  let ca = keepCA ? { cert: m.caCert, key: m.caKey } : undefined;
  let previous = m?.previousCAs ?? '';
  if (!ca) {
    ca = await newCA('syncret-injector-ca', now, v.caMs);
    if (m?.caCert) previous = m.caCert.trimEnd() + '\n' + previous;
  }
  const serving = await newServingCert(ca, names, now, v.certMs);
  return {
    caCert: ca.cert,
    caKey: ca.key,
    previousCAs: liveCAs(previous, now),
    cert: serving.cert,
    key: serving.key,
  };
}
