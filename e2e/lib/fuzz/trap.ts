// A loopback TCP listener that every store URL and endpoint of the fuzz suite points at. A TLS
// client hello is dropped (the handshake fails at once, as against a server with the wrong
// certificate); a plain-HTTP request is answered 503 and recorded with whether it carried a
// credential, which an operator without --allow-insecure-credentials must never send.

import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface TrappedRequest {
  line: string;
  /** Header names that carry credentials, and body fields that look like one. */
  credentials: string[];
}

const CREDENTIAL_HEADERS =
  /^(authorization|x-vault-token|x-api-key|x-amz-security-token|cookie|proxy-authorization):/im;
const CREDENTIAL_BODY =
  /"(jwt|password|secret_id|token|client_secret|client_assertion|assertion)"\s*:|(^|&)(client_secret|client_assertion|assertion|password)=/i;

export class Trap {
  readonly requests: TrappedRequest[] = [];
  tlsHandshakes = 0;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((s) => this.accept(s));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private accept(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    s.setTimeout(5_000, () => s.destroy());
    let buf = Buffer.alloc(0);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf[0] === 0x16) {
        this.tlsHandshakes++;
        s.destroy();
        return;
      }
      const text = buf.toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      if (head < 0 && buf.length < 64 * 1024) return;
      // Enough of the body to see a login's fields; a request's headers always.
      this.requests.push({
        line: text.slice(0, text.indexOf('\r\n')).slice(0, 200),
        credentials: [
          ...(text.slice(0, head).match(new RegExp(CREDENTIAL_HEADERS.source, 'gim')) ?? []),
          ...(CREDENTIAL_BODY.test(text.slice(head)) ? ['body'] : []),
        ],
      });
      s.end('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
