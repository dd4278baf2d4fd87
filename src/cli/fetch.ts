// `syncret fetch`: values from Vault/OpenBao (or any store, or AWS through STS
// AssumeRoleWithWebIdentity) for one CI step, logged in with the job's OIDC ID token (JWT auth)
// or a token, written as dotenv, JSON or GitHub's env/output files. Exit codes:
// 0 done, 1 a provider or write failure (the message names paths and keys, never a value), 2 a
// usage error.

import { appendFileSync, readFileSync } from 'node:fs';
import type { AgentConfig, AgentStoreConfig } from '../agent/config.js';
import {
  FETCH_FORMATS,
  FetchSpecError,
  fetchItems,
  formatOutput,
  secretFiles,
  maskCommands,
  parseSecretsSpec,
} from '../agent/fetch.js';
import type { FetchFormat, FetchItem } from '../agent/fetch.js';
import { writeAll, writeAtomic } from '../agent/files.js';
import { safeMessage } from '../agent/modes.js';
import { idTokenSource } from '../agent/oidc.js';
import { fileKeyReader } from '../agent/context.js';
import type { KeyReader, StandaloneIdentity } from '../agent/context.js';
import { openSources } from '../agent/setup.js';
import type { VaultProvider } from '../api/providers/vault.js';
import { LOG_LEVELS } from '../config/logging.js';
import type { LogLevel } from '../config/logging.js';
import { ProviderError } from '../providers/errors.js';
import { validateVaultSpec } from '../providers/vault/index.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { UsageError, stderrLogger } from './agent.js';
import { eachFlag } from './args.js';
import { AWS_SERVICES, awsWebIdentityStore, parseAnnotation, readStoreFile } from './fetch-store.js';
import type { AwsService } from '../api/providers/aws.js';

export const FETCH_USAGE = `Usage: syncret fetch --secrets 'PATH KEY [| NAME] ; ...' [flags]

Reads values once from Vault/OpenBao, AWS or any store, for a CI step or a container's env file.

What to read (vault-action's syntax):
  --secrets TEXT           e.g. 'secret/data/app password | DB_PASSWORD ; secret/data/app key'
                           'PATH * [| PREFIX]' takes every key of the secret
  --secrets-file FILE      the same, from a file

Vault:
  --vault-addr URL         default $VAULT_ADDR
  --vault-namespace NS     default $VAULT_NAMESPACE
  --ca-file FILE           trust this PEM for the server
  --method jwt|token       jwt (default): the job's OIDC ID token; token: $VAULT_TOKEN
  --role ROLE              the JWT auth role
  --path MOUNT             the JWT auth mount (default jwt)
  --audience AUD           the audience to ask GitHub's token service for
  --id-token-file FILE     the ID token in a file
  --id-token-env VAR       the ID token in a variable (GitLab: the name under id_tokens:)

AWS (instead of Vault; the ID token exchanged with STS AssumeRoleWithWebIdentity):
  --aws-role-arn ARN       the role the job's token may assume
  --aws-region REGION      default $AWS_REGION
  --aws-service SERVICE    ${AWS_SERVICES.join(' or ')} (default SecretsManager)
                           PATH is the secret's name, KEY a JSON field of it (value: the whole text);
                           --audience defaults to sts.amazonaws.com

Any store (instead of Vault):
  --store FILE             a SecretStore or ClusterSecretStore manifest; its auth logs in with the
                           ID token (jwt, workload identity) or --secrets-dir keys
  --annotation KEY=VALUE   a ServiceAccount annotation the store's auth reads (repeatable), e.g.
                           eks.amazonaws.com/role-arn=ARN, azure.workload.identity/client-id=ID
  --secrets-dir DIR        Secret keys the store references, as files DIR/<name>/<key>

Output:
  --format FORMAT          ${FETCH_FORMATS.join(', ')} (default dotenv)
  --out FILE|DIR           dotenv and json: written whole, mode 0600 (default stdout);
                           github-env / github-output: appended (default $GITHUB_ENV / $GITHUB_OUTPUT);
                           files: a directory, one file per value (mode 0400, all or none), for
                           Compose secrets; value: the one value's bytes on stdout, for
                           '| docker secret create NAME -'
  --mask                   print ::add-mask:: for every value first (github-* always do)

  --log-level LEVEL        ${LOG_LEVELS.join(', ')} (default info); logs go to stderr
  --allow-insecure-credentials
                           let credentials go to http:// URLs (test setups only)
`;

interface FetchArgs {
  secrets?: string;
  secretsFile?: string;
  vaultAddr?: string;
  vaultNamespace?: string;
  caFile?: string;
  method: 'jwt' | 'token';
  role?: string;
  path?: string;
  audience?: string;
  idTokenFile?: string;
  idTokenEnv?: string;
  awsRoleArn?: string;
  awsRegion?: string;
  awsService: AwsService;
  store?: string;
  secretsDir?: string;
  annotations: Record<string, string>;
  format: FetchFormat;
  out?: string;
  mask: boolean;
  logLevel: LogLevel;
  allowInsecure: boolean;
}

const VALUE_FLAGS: Record<string, keyof FetchArgs> = {
  '--secrets': 'secrets',
  '--secrets-file': 'secretsFile',
  '--vault-addr': 'vaultAddr',
  '--vault-namespace': 'vaultNamespace',
  '--ca-file': 'caFile',
  '--role': 'role',
  '--path': 'path',
  '--audience': 'audience',
  '--id-token-file': 'idTokenFile',
  '--id-token-env': 'idTokenEnv',
  '--aws-role-arn': 'awsRoleArn',
  '--aws-region': 'awsRegion',
  '--store': 'store',
  '--secrets-dir': 'secretsDir',
  '--out': 'out',
};

export function parseFetchArgs(argv: readonly string[]): FetchArgs | 'help' {
  const out: FetchArgs = {
    method: 'jwt',
    awsService: 'SecretsManager',
    annotations: {},
    format: 'dotenv',
    mask: false,
    logLevel: 'info',
    allowInsecure: false,
  };
  for (const { arg, name, value } of eachFlag(argv, (m) => new UsageError(m))) {
    if (arg === '-h' || arg === '--help' || arg === 'help') return 'help';
    if (Object.hasOwn(VALUE_FLAGS, name)) {
      (out as unknown as Record<string, string>)[VALUE_FLAGS[name]!] = value();
    } else if (name === '--annotation') {
      const [k, v] = parseAnnotation(value());
      out.annotations[k] = v;
    } else if (name === '--aws-service') {
      const svc = value();
      if (!(AWS_SERVICES as readonly string[]).includes(svc))
        throw new UsageError(`--aws-service must be ${AWS_SERVICES.join(' or ')}`);
      out.awsService = svc as AwsService;
    } else if (name === '--method') {
      const m = value();
      if (m !== 'jwt' && m !== 'token') throw new UsageError('--method must be jwt or token');
      out.method = m;
    } else if (name === '--format') {
      const f = value();
      if (!(FETCH_FORMATS as readonly string[]).includes(f))
        throw new UsageError(`--format must be one of ${FETCH_FORMATS.join(', ')}`);
      out.format = f as FetchFormat;
    } else if (name === '--log-level') {
      const l = value();
      if (!(LOG_LEVELS as readonly string[]).includes(l))
        throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
      out.logLevel = l as LogLevel;
    } else if (arg === '--mask') out.mask = true;
    else if (arg === '--allow-insecure-credentials') out.allowInsecure = true;
    else throw new UsageError(`unknown argument "${arg}"`);
  }
  if (!out.secrets === !out.secretsFile)
    throw new UsageError('give --secrets or --secrets-file (one of them)');
  if (out.store && out.awsRoleArn) throw new UsageError('give --store or --aws-role-arn, not both');
  const vault = !out.store && !out.awsRoleArn;
  if (!vault && (out.vaultAddr || out.role || out.method !== 'jwt'))
    throw new UsageError('--vault-addr, --role and --method are for Vault; a store logs in as its auth says');
  if (vault && out.method === 'jwt' && !out.role) throw new UsageError('--method jwt needs --role');
  if (out.format === 'files' && !out.out) throw new UsageError('--format files needs --out DIR');
  if (out.format === 'value' && (out.out || out.mask))
    throw new UsageError('--format value prints one value on stdout: no --out, no --mask');
  return out;
}

/** The Vault block the providers read: the same login code as a SecretStore's. */
function vaultSpec(a: FetchArgs, env: NodeJS.ProcessEnv): VaultProvider {
  const server = a.vaultAddr ?? env.VAULT_ADDR;
  if (!server) throw new UsageError('no Vault address: give --vault-addr or set VAULT_ADDR');
  const auth: VaultProvider['auth'] =
    a.method === 'token'
      ? { tokenSecretRef: { name: 'env', key: 'VAULT_TOKEN' } }
      : {
          jwt: {
            path: a.path ?? 'jwt',
            role: a.role,
            // The job presents its own token; the name is only what the schema asks for.
            kubernetesServiceAccountToken: { serviceAccountRef: { name: 'ci-job' } },
          },
        };
  const spec: VaultProvider = { server, auth };
  const ns = a.vaultNamespace ?? env.VAULT_NAMESPACE;
  if (ns) spec.namespace = ns;
  const problem = validateVaultSpec(spec);
  if (problem) throw new UsageError(problem.replace('spec.provider.vault', 'vault'));
  return spec;
}

/** The store to read instead of Vault, with the ServiceAccount annotations its auth reads. */
function storeOf(
  a: FetchArgs,
  env: NodeJS.ProcessEnv,
): { store: AgentStoreConfig; annotations: Record<string, string> } | undefined {
  if (a.store) return { store: readStoreFile(a.store), annotations: a.annotations };
  if (!a.awsRoleArn) return undefined;
  const region = a.awsRegion ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('no AWS region: give --aws-region or set AWS_REGION');
  const aws = awsWebIdentityStore({
    roleArn: a.awsRoleArn,
    region,
    service: a.awsService,
    audience: a.audience,
  });
  return { store: aws.store, annotations: { ...a.annotations, ...aws.annotations } };
}

function readSpec(a: FetchArgs): FetchItem[] {
  let text = a.secrets;
  if (a.secretsFile) {
    try {
      text = readFileSync(a.secretsFile, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${a.secretsFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  try {
    return parseSecretsSpec(text ?? '');
  } catch (e) {
    if (e instanceof FetchSpecError) throw new UsageError(e.message);
    throw e;
  }
}

function destination(a: FetchArgs, env: NodeJS.ProcessEnv): string | undefined {
  if (a.out) return a.out;
  if (a.format === 'github-env' || a.format === 'github-output') {
    const v = a.format === 'github-env' ? 'GITHUB_ENV' : 'GITHUB_OUTPUT';
    if (!env[v])
      throw new UsageError(`--format ${a.format} needs --out or $${v} (set in a GitHub Actions job)`);
    return env[v];
  }
  return undefined;
}

/**
 * Where the providers' auth finds credentials: the job's ID token; Secret keys from
 * --secrets-dir, else (Vault's --method token) the environment.
 */
function identityOf(
  a: FetchArgs,
  env: NodeJS.ProcessEnv,
  store: ReturnType<typeof storeOf>,
): Partial<StandaloneIdentity> {
  const tokens = idTokenSource({
    file: a.idTokenFile,
    envVar: a.idTokenEnv,
    env,
    allowInsecureCredentials: a.allowInsecure,
  });
  const fromEnv: KeyReader = async (_kind, sel, what) => {
    const v = sel.name === 'env' && sel.key ? env[sel.key] : undefined;
    if (!v)
      throw new ProviderError(
        'InvalidProviderConfig',
        store
          ? `${what}: give the Secret keys the store references with --secrets-dir DIR (DIR/<name>/<key>)`
          : `${what}: $${sel.key ?? 'VAULT_TOKEN'} is not set`,
      );
    return new TextEncoder().encode(v);
  };
  return {
    who: 'syncret fetch',
    // Vault's JWT login takes what --audience asked for; a store asks for its own audience
    // (STS: sts.amazonaws.com) unless --audience says otherwise.
    token: async (audiences) => tokens(a.audience ? [a.audience] : store ? audiences : undefined),
    serviceAccountAnnotations: store?.annotations,
    keys: a.secretsDir ? fileKeyReader(a.secretsDir) : fromEnv,
  };
}

function writeOutput(a: FetchArgs, out: string | undefined, vars: Map<string, string>): void {
  const github = a.format === 'github-env' || a.format === 'github-output';
  if (a.mask || github) process.stdout.write(maskCommands(vars.values()));
  if (a.format === 'files') {
    writeAll(secretFiles(out!, vars));
    return;
  }
  const text = formatOutput(a.format, vars);
  if (github) appendFileSync(out!, text, { mode: 0o600 });
  else if (out) writeAtomic({ path: out, mode: 0o600, content: text });
  else process.stdout.write(text);
}

async function fetchAndWrite(
  a: FetchArgs,
  registry: ProviderRegistry,
  env: NodeJS.ProcessEnv,
): Promise<string[]> {
  const items = readSpec(a);
  if (a.format === 'value' && items.length !== 1)
    throw new UsageError('--format value takes exactly one secret');
  const store = storeOf(a, env);
  const config: AgentConfig = {
    ...(store ? { store: store.store } : { vault: vaultSpec(a, env), vaultCAFile: a.caFile }),
    secretsDir: '/',
    templates: [],
    allowInsecureCredentials: a.allowInsecure,
  };
  const out = destination(a, env);
  const opened = await openSources(config, {
    registry,
    // The token stays to its TTL: leases of dynamic credentials it read end with it.
    keepTokens: true,
    identity: identityOf(a, env, store),
  });
  try {
    const vars = await fetchItems(items, opened.deps);
    writeOutput(a, out, vars);
    return [...vars.keys()];
  } catch (e) {
    throw new Error(safeMessage(e, opened));
  } finally {
    await opened.close();
  }
}

export async function fetchCommand(argv: string[], registry: ProviderRegistry): Promise<number> {
  let args: FetchArgs | 'help';
  try {
    args = parseFetchArgs(argv);
    if (args === 'help') {
      process.stdout.write(FETCH_USAGE);
      return 0;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`syncret fetch: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const logger = stderrLogger(args.logLevel);
  try {
    const names = await fetchAndWrite(args, registry, process.env);
    logger.info({ names, format: args.format }, 'fetched');
    return 0;
  } catch (e) {
    console.error(`syncret fetch: ${e instanceof Error ? e.message : String(e)}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
