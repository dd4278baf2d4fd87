// A small in-memory Google Cloud Secret Manager (v1) for the e2e tests. There is no official
// emulator, and the community one (a Go module) is not reachable through this project's
// registries, so this serves the real service definition shipped in
// @google-cloud/secret-manager over gRPC (plaintext, loopback) and implements what Syncret
// reads, with the real API's semantics and error codes/messages (see docs/providers/gcp.md,
// "The emulator", for exactly what is covered and what is not).
//
// Run: node e2e/tools/gcpsm-emulator/emulator.ts --port P [--host 127.0.0.1]
// (Node strips the types; this file may import only node: builtins and packages.)

import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { GrpcClient, grpc } from 'google-gax';

type Code = (typeof grpc.status)[keyof typeof grpc.status];
type State = 'ENABLED' | 'DISABLED' | 'DESTROYED';

interface Timestamp {
  seconds: string;
  nanos: number;
}

interface Version {
  number: number;
  createTime: Timestamp;
  destroyTime?: Timestamp;
  state: State;
  data: Buffer;
  etag: string;
}

interface StoredSecret {
  /** Resource name with the project number, as the real API returns it. */
  name: string;
  createTime: Timestamp;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  replication?: unknown;
  etag: string;
  versions: Version[];
  bindings: { role: string; members: string[] }[];
}

export interface EmulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Per project, AccessSecretVersion calls allowed per minute (the real default is 90,000). */
  accessQuotaPerMinute?: number;
  /** Reject calls without a bearer token (UNAUTHENTICATED), as the real service does. */
  requireAuth?: boolean;
  /** Appends one JSON line per call (method, resource, principal; no payload) to this file. */
  requestLog?: string;
}

export interface Emulator {
  port: number;
  address: string;
  /** Every call's method and caller (tests assert which credentials reached the server). */
  calls: { method: string; principal: string | undefined; authorization: string | undefined }[];
  close(): Promise<void>;
}

// No parameter properties in this file: Node runs it with type stripping only.
class RpcError extends Error {
  readonly code: Code;
  constructor(code: Code, message: string) {
    super(message);
    this.code = code;
  }
}

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const PARENT = /^projects\/([^/]+)(?:\/locations\/([^/]+))?$/;
const SECRET = /^(projects\/[^/]+(?:\/locations\/[^/]+)?)\/secrets\/([^/]+)$/;
const VERSION = /^(projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/[^/]+)\/versions\/([^/]+)$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const ACCESSOR_ROLES = new Set(['roles/secretmanager.secretAccessor', 'roles/owner']);

/**
 * Who calls. Google's access tokens are opaque (Google looks them up); the e2e token endpoints
 * issue the form emulator-token/<principal>/<nonce> so the emulator can tell callers apart.
 * Service account keys authenticate with a self-signed JWT instead, whose claims name the
 * account: the emulator reads them but, unlike Google, does not verify the signature.
 */
export function emulatorToken(principal: string, nonce: string): string {
  return `emulator-token/${principal}/${nonce}`;
}

function principalOf(authorization: string | undefined): string | undefined {
  const bearer = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  if (!bearer) return undefined;
  const m = /^emulator-token\/([^/]+)\//.exec(bearer);
  if (m) return m[1];
  const parts = bearer.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString()) as {
      sub?: string;
      iss?: string;
    };
    return claims.sub ?? claims.iss;
  } catch {
    return undefined;
  }
}

function now(): Timestamp {
  const ms = Date.now();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

/** Project ids map to stable 12-digit numbers: real responses name projects by number. */
function projectNumber(project: string): string {
  if (/^\d+$/.test(project)) return project;
  const n = BigInt('0x' + createHash('sha256').update(project).digest('hex').slice(0, 12));
  return String(100000000000n + (n % 900000000000n));
}

function etag(): string {
  return `"${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}"`;
}

function canonicalParent(parent: string): string {
  const m = PARENT.exec(parent);
  if (!m)
    throw new RpcError(
      grpc.status.INVALID_ARGUMENT,
      `Invalid resource field value in the request: parent "${parent}"`,
    );
  return `projects/${projectNumber(m[1]!)}${m[2] ? `/locations/${m[2]}` : ''}`;
}

function canonicalSecret(name: string): string {
  const m = SECRET.exec(name);
  if (!m)
    throw new RpcError(
      grpc.status.INVALID_ARGUMENT,
      `Invalid resource field value in the request: name "${name}"`,
    );
  return `${canonicalParent(m[1]!)}/secrets/${m[2]}`;
}

function checkLabels(labels: Record<string, string>): void {
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(v))
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid label "${k}"`);
  }
}

// ---- filters (https://cloud.google.com/secret-manager/docs/filtering) ----
// Supported: terms joined by whitespace or AND (all must hold), a term negated with NOT or
// "-", `field:value` (contains; `:*` = has the field) and `field=value` (equals), quoted values.
// Fields: name, labels.<key>, annotations.<key> (secrets); name, state (versions). Anything else
// (OR, parentheses, other fields, comparisons) is INVALID_ARGUMENT, never silently ignored.

type Fields = (field: string) => string | undefined;

function compileFilter(filter: string, known: (field: string) => boolean): (get: Fields) => boolean {
  const tokens = filter.match(/-?[^\s"]+(?:"[^"]*")?|"[^"]*"/g) ?? [];
  const terms: { neg: boolean; field: string; op: string; value: string }[] = [];
  let neg = false;
  for (const raw of tokens) {
    if (raw === 'AND') continue;
    if (raw === 'NOT') {
      neg = true;
      continue;
    }
    let t = raw;
    if (t.startsWith('-')) {
      neg = true;
      t = t.slice(1);
    }
    const m = /^([A-Za-z_][\w.-]*)(:|=)(.*)$/.exec(t);
    if (!m || !known(m[1]!) || raw === 'OR')
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid filter: unsupported term "${raw}"`);
    const value = m[3]!.replace(/^"(.*)"$/, '$1');
    terms.push({ neg, field: m[1]!, op: m[2]!, value });
    neg = false;
  }
  return (get) =>
    terms.every((t) => {
      const v = get(t.field);
      let ok: boolean;
      if (t.op === '=') ok = v !== undefined && v.toLowerCase() === t.value.toLowerCase();
      else if (t.value === '*') ok = v !== undefined;
      else ok = v !== undefined && v.toLowerCase().includes(t.value.toLowerCase());
      return t.neg ? !ok : ok;
    });
}

function page<T>(items: T[], pageSize: number | undefined, pageToken: string | undefined): [T[], string] {
  const size = pageSize && pageSize > 0 ? Math.min(pageSize, 25000) : 100;
  const start = pageToken ? Number(Buffer.from(pageToken, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0)
    throw new RpcError(grpc.status.INVALID_ARGUMENT, 'Invalid page token');
  const end = start + size;
  return [items.slice(start, end), end < items.length ? Buffer.from(String(end)).toString('base64url') : ''];
}

// ---- the service ----

class SecretManager {
  readonly secrets = new Map<string, StoredSecret>();
  private readonly accesses = new Map<string, number[]>();
  private readonly opts: EmulatorOptions;

  constructor(opts: EmulatorOptions) {
    this.opts = opts;
  }

  private secret(name: string): StoredSecret {
    const canonical = canonicalSecret(name);
    const s = this.secrets.get(canonical);
    if (!s) throw new RpcError(grpc.status.NOT_FOUND, `Secret [${canonical}] not found.`);
    return s;
  }

  private version(name: string): [StoredSecret, Version, string] {
    const m = VERSION.exec(name);
    if (!m)
      throw new RpcError(
        grpc.status.INVALID_ARGUMENT,
        `Invalid resource field value in the request: name "${name}"`,
      );
    const s = this.secret(m[1]!);
    const id = m[2]!;
    let v: Version | undefined;
    if (id === 'latest') {
      v = s.versions[s.versions.length - 1];
      if (!v) throw new RpcError(grpc.status.NOT_FOUND, `Secret [${s.name}] not found or has no versions.`);
    } else {
      if (!/^\d+$/.test(id)) throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid version id "${id}"`);
      v = s.versions.find((x) => x.number === Number(id));
      if (!v)
        throw new RpcError(grpc.status.NOT_FOUND, `Secret Version [${s.name}/versions/${id}] not found.`);
    }
    return [s, v, `${s.name}/versions/${v.number}`];
  }

  private secretOut(s: StoredSecret): Record<string, unknown> {
    return {
      name: s.name,
      createTime: s.createTime,
      labels: s.labels,
      annotations: s.annotations,
      replication: s.replication,
      etag: s.etag,
    };
  }

  private versionOut(s: StoredSecret, v: Version): Record<string, unknown> {
    return {
      name: `${s.name}/versions/${v.number}`,
      createTime: v.createTime,
      destroyTime: v.destroyTime,
      state: v.state,
      etag: v.etag,
    };
  }

  private checkQuota(project: string): void {
    const limit = this.opts.accessQuotaPerMinute;
    if (limit === undefined) return;
    const t = Date.now();
    const recent = (this.accesses.get(project) ?? []).filter((x) => t - x < 60_000);
    if (recent.length >= limit) {
      this.accesses.set(project, recent);
      throw new RpcError(
        grpc.status.RESOURCE_EXHAUSTED,
        `Quota exceeded for quota metric 'Access requests' and limit 'Access requests per minute per project' of service 'secretmanager.googleapis.com' for consumer 'project_number:${project}'.`,
      );
    }
    recent.push(t);
    this.accesses.set(project, recent);
  }

  private checkAccess(s: StoredSecret, resource: string, principal: string | undefined): void {
    const relevant = s.bindings.filter((b) => ACCESSOR_ROLES.has(b.role));
    if (relevant.length === 0) return;
    const member = principal === undefined ? undefined : `serviceAccount:${principal}`;
    if (member && relevant.some((b) => b.members.includes(member) || b.members.includes(`user:${principal}`)))
      return;
    throw new RpcError(
      grpc.status.PERMISSION_DENIED,
      `Permission 'secretmanager.versions.access' denied for resource '${resource}' (or it may not exist).`,
    );
  }

  // Requests arrive camelCased (proto-loader keepCase false), enums as strings.
  handlers(): Record<string, (req: Record<string, never>, principal: string | undefined) => unknown> {
    return {
      ListSecrets: (req: { parent: string; pageSize?: number; pageToken?: string; filter?: string }) => {
        const parent = canonicalParent(req.parent);
        const match = compileFilter(
          req.filter ?? '',
          (f) => f === 'name' || /^(labels|annotations)\.[^.]+$/.test(f),
        );
        const all = [...this.secrets.values()]
          .filter((s) => s.name.startsWith(`${parent}/secrets/`))
          .filter((s) =>
            match((f) => {
              if (f === 'name') return s.name;
              const [kind, key] = f.split('.') as [string, string];
              return kind === 'labels' ? s.labels[key] : s.annotations[key];
            }),
          )
          .sort((a, b) => (a.name < b.name ? -1 : 1));
        const [items, next] = page(all, req.pageSize, req.pageToken);
        return { secrets: items.map((s) => this.secretOut(s)), nextPageToken: next, totalSize: all.length };
      },
      CreateSecret: (req: {
        parent: string;
        secretId: string;
        secret?: {
          labels?: Record<string, string>;
          annotations?: Record<string, string>;
          replication?: unknown;
        };
      }) => {
        const parent = canonicalParent(req.parent);
        if (!SECRET_ID.test(req.secretId ?? ''))
          throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid secret id "${req.secretId}"`);
        const regional = parent.includes('/locations/');
        const rep = req.secret?.replication as { replication?: string } | undefined;
        if (!regional && !rep?.replication)
          throw new RpcError(grpc.status.INVALID_ARGUMENT, 'Secret.replication is required.');
        const name = `${parent}/secrets/${req.secretId}`;
        if (this.secrets.has(name))
          throw new RpcError(grpc.status.ALREADY_EXISTS, `Secret [${name}] already exists.`);
        const labels = req.secret?.labels ?? {};
        checkLabels(labels);
        const s: StoredSecret = {
          name,
          createTime: now(),
          labels,
          annotations: req.secret?.annotations ?? {},
          replication: regional ? undefined : req.secret?.replication,
          etag: etag(),
          versions: [],
          bindings: [],
        };
        this.secrets.set(name, s);
        return this.secretOut(s);
      },
      AddSecretVersion: (req: { parent: string; payload?: { data?: Buffer } }) => {
        const s = this.secret(req.parent);
        const data = Buffer.from(req.payload?.data ?? Buffer.alloc(0));
        if (data.length > 64 * 1024)
          throw new RpcError(grpc.status.INVALID_ARGUMENT, 'Secret payload exceeds the 64 KiB limit.');
        const last = s.versions[s.versions.length - 1];
        const v: Version = {
          number: (last?.number ?? 0) + 1,
          createTime: now(),
          state: 'ENABLED',
          data,
          etag: etag(),
        };
        s.versions.push(v);
        return this.versionOut(s, v);
      },
      GetSecret: (req: { name: string }) => this.secretOut(this.secret(req.name)),
      UpdateSecret: (req: {
        secret: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
        updateMask?: { paths?: string[] };
      }) => {
        const s = this.secret(req.secret?.name ?? '');
        const paths = req.updateMask?.paths ?? [];
        if (paths.length === 0) throw new RpcError(grpc.status.INVALID_ARGUMENT, 'update_mask is required.');
        for (const p of paths) {
          if (p === 'labels') {
            checkLabels(req.secret.labels ?? {});
            s.labels = req.secret.labels ?? {};
          } else if (p === 'annotations') s.annotations = req.secret.annotations ?? {};
          else throw new RpcError(grpc.status.INVALID_ARGUMENT, `Unsupported update_mask path "${p}"`);
        }
        s.etag = etag();
        return this.secretOut(s);
      },
      DeleteSecret: (req: { name: string }) => {
        const s = this.secret(req.name);
        this.secrets.delete(s.name);
        return {};
      },
      ListSecretVersions: (req: {
        parent: string;
        pageSize?: number;
        pageToken?: string;
        filter?: string;
      }) => {
        const s = this.secret(req.parent);
        const match = compileFilter(req.filter ?? '', (f) => f === 'name' || f === 'state');
        // Newest first, as the real API lists them.
        const all = [...s.versions]
          .reverse()
          .filter((v) => match((f) => (f === 'state' ? v.state : `${s.name}/versions/${v.number}`)));
        const [items, next] = page(all, req.pageSize, req.pageToken);
        return {
          versions: items.map((v) => this.versionOut(s, v)),
          nextPageToken: next,
          totalSize: all.length,
        };
      },
      GetSecretVersion: (req: { name: string }) => {
        const [s, v] = this.version(req.name);
        return this.versionOut(s, v);
      },
      AccessSecretVersion: (req: { name: string }, principal: string | undefined) => {
        const [s, v, resolved] = this.version(req.name);
        this.checkAccess(s, req.name, principal);
        this.checkQuota(s.name.split('/')[1]!);
        if (v.state !== 'ENABLED')
          throw new RpcError(
            grpc.status.FAILED_PRECONDITION,
            `Secret Version [${resolved}] is in ${v.state} state.`,
          );
        return { name: resolved, payload: { data: v.data, dataCrc32c: String(crc32c(v.data)) } };
      },
      DisableSecretVersion: (req: { name: string }) => this.setState(req.name, 'DISABLED'),
      EnableSecretVersion: (req: { name: string }) => this.setState(req.name, 'ENABLED'),
      DestroySecretVersion: (req: { name: string }) => {
        const [s, v] = this.version(req.name);
        v.state = 'DESTROYED';
        v.destroyTime = now();
        v.data = Buffer.alloc(0);
        v.etag = etag();
        return this.versionOut(s, v);
      },
      SetIamPolicy: (req: {
        resource: string;
        policy?: { bindings?: { role: string; members: string[] }[] };
      }) => {
        const s = this.secret(req.resource);
        s.bindings = (req.policy?.bindings ?? []).map((b) => ({ role: b.role, members: [...b.members] }));
        return { version: 1, bindings: s.bindings, etag: Buffer.from(etag()) };
      },
      GetIamPolicy: (req: { resource: string }) => {
        const s = this.secret(req.resource);
        return { version: 1, bindings: s.bindings, etag: Buffer.from(s.etag) };
      },
    } as unknown as Record<string, (req: Record<string, never>, principal: string | undefined) => unknown>;
  }

  private setState(name: string, state: State): Record<string, unknown> {
    const [s, v, resolved] = this.version(name);
    if (v.state === 'DESTROYED')
      throw new RpcError(
        grpc.status.FAILED_PRECONDITION,
        `Secret Version [${resolved}] is in DESTROYED state.`,
      );
    v.state = state;
    v.etag = etag();
    return this.versionOut(s, v);
  }
}

// CRC32C (Castagnoli), which the real API returns beside every payload.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function serviceDefinition(): grpc.ServiceDefinition {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('@google-cloud/secret-manager/package.json');
  const protos = join(dirname(pkgJson), 'build', 'protos');
  const loaded = new GrpcClient().loadProto(
    protos,
    'google/cloud/secretmanager/v1/service.proto',
  ) as unknown as {
    google: {
      cloud: { secretmanager: { v1: { SecretManagerService: { service: grpc.ServiceDefinition } } } };
    };
  };
  return loaded.google.cloud.secretmanager.v1.SecretManagerService.service;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const sm = new SecretManager(opts);
  const handlers = sm.handlers();
  const def = serviceDefinition();
  const calls: Emulator['calls'] = [];
  const impl: grpc.UntypedServiceImplementation = {};
  for (const key of Object.keys(def)) {
    const method = def[key]!;
    const rpc = method.path.split('/').pop()!;
    impl[key] = (
      call: grpc.ServerUnaryCall<Record<string, never>, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) => {
      const authorization = call.metadata.get('authorization')[0]?.toString();
      const principal = principalOf(authorization);
      calls.push({ method: rpc, principal, authorization });
      if (opts.requestLog) {
        // Which call on which resource: never a payload.
        const r = call.request as { name?: string; parent?: string; secret?: { name?: string } };
        const resource = r.name ?? r.secret?.name ?? r.parent ?? '';
        appendFileSync(opts.requestLog, `${JSON.stringify({ rpc, resource, principal })}\n`);
      }
      if (calls.length > 1000) calls.splice(0, calls.length - 1000);
      try {
        if (opts.requireAuth && !authorization?.startsWith('Bearer '))
          throw new RpcError(
            grpc.status.UNAUTHENTICATED,
            'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          );
        const h = handlers[rpc];
        if (!h) throw new RpcError(grpc.status.UNIMPLEMENTED, `${rpc} is not implemented by the emulator`);
        cb(null, h(call.request, principal));
      } catch (e) {
        if (e instanceof RpcError) cb({ code: e.code, details: e.message, metadata: new grpc.Metadata() });
        else cb({ code: grpc.status.INTERNAL, details: (e as Error).message });
      }
    };
  }
  const server = new grpc.Server();
  server.addService(def, impl);
  const host = opts.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    port,
    address: `${host}:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}

// As a program: print the address once listening, stop on SIGTERM/SIGINT.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const quota = arg('access-quota-per-minute');
  const emu = await startEmulator({
    host: arg('host') ?? '127.0.0.1',
    port: Number(arg('port') ?? 0),
    requireAuth: process.argv.includes('--require-auth'),
    ...(arg('request-log') ? { requestLog: arg('request-log') } : {}),
    ...(quota ? { accessQuotaPerMinute: Number(quota) } : {}),
  });
  console.log(`gcpsm emulator listening on ${emu.address}`);
  const stop = (): void => {
    void emu.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
