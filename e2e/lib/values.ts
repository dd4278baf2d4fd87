// Every secret value a test uses is made here, so the leak scan knows what to look for.
import { randomBytes } from 'node:crypto';

const issued: string[] = [];

export function secretValue(label = 'v'): string {
  const v = `s3cr3t-${label}-${randomBytes(6).toString('hex')}`;
  issued.push(v);
  return v;
}

export function issuedValues(): string[] {
  return [...issued];
}

/** Registers a secret made elsewhere (e.g. a private key from openssl) for the leak scan. */
export function trackValue(v: string): string {
  issued.push(v);
  return v;
}
