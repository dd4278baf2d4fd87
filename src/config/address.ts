// Listen addresses in Go's net.Listen form, as ESO and controller-runtime flags take them:
// ":8080" (every interface), "127.0.0.1:8080", "[::1]:8080", "localhost:0".

export interface ListenAddress {
  /** Undefined: every interface (Node then binds '::' with IPv4 mapped, or '0.0.0.0'). */
  host: string | undefined;
  port: number;
}

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

export function parseListenAddress(addr: string): ListenAddress {
  const bad = (why: string) => new AddressError(`invalid address "${addr}": ${why}`);
  const colon = addr.lastIndexOf(':');
  if (colon < 0) throw bad('missing port (use ":8080" or "host:8080")');
  let host = addr.slice(0, colon);
  const portText = addr.slice(colon + 1);
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw bad('unterminated IPv6 bracket');
    host = host.slice(1, -1);
    if (host === '') throw bad('empty IPv6 address');
  } else if (host.includes(':')) {
    throw bad('an IPv6 host must be in brackets, e.g. "[::1]:8080"');
  }
  if (!/^\d{1,5}$/.test(portText)) throw bad('the port must be a number from 0 to 65535');
  const port = Number(portText);
  if (port > 65535) throw bad('the port must be a number from 0 to 65535');
  if (/\s/.test(host)) throw bad('the host contains whitespace');
  return { host: host === '' ? undefined : host, port };
}

/** "host:port", with brackets for IPv6 hosts. */
export function formatListenAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
