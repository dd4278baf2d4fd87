// `syncret agent init|sidecar|exec`: the agent as a command. The configuration comes from a
// file (--config) or an environment variable (--config-env, default SYNCRET_AGENT_CONFIG,
// which the injector sets). Exit codes: 0 done, 1 a render or provider failure (the message
// says what and where, never a value), 2 a usage or configuration error.

import { readFileSync } from 'node:fs';
import { AgentConfigError, parseAgentConfig } from '../agent/config.js';
import type { AgentConfig } from '../agent/config.js';
import { runExec, runInit, runSidecar } from '../agent/modes.js';
import type { AgentLogger } from '../agent/modes.js';
import { LOG_LEVELS } from '../config/logging.js';
import type { LogLevel } from '../config/logging.js';
import { createLogger } from '../observability/logger.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { eachFlag } from './args.js';

export const AGENT_USAGE = `Usage: syncret agent MODE [--config FILE | --config-env VAR] [flags] [-- COMMAND ARGS...]

Renders secrets from Vault/OpenBao or a store into files or the environment.

Modes:
  init      render every template once into its file (all or none), then exit
  sidecar   keep the files fresh: refresh interval, lease renewal, re-issue; SIGTERM revokes
  exec      render KEY=VALUE templates and replace this process with COMMAND (it keeps the PID)

Flags:
  --config FILE          YAML or JSON configuration (docs/DELIVERY.md)
  --config-env VAR       the configuration as JSON in an environment variable (default
                         SYNCRET_AGENT_CONFIG, which the injector sets)
  --log-level LEVEL      ${LOG_LEVELS.join(', ')} (default info); logs go to stderr
  --allow-insecure-credentials
                         let credentials go to http:// URLs (test setups only)
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

interface AgentArgs {
  mode: 'init' | 'sidecar' | 'exec';
  configFile?: string;
  configEnv: string;
  logLevel: LogLevel;
  allowInsecure: boolean;
  command: string[];
}

export function parseAgentArgs(argv: readonly string[]): AgentArgs | 'help' {
  const mode = argv[0];
  if (mode === undefined || mode === '-h' || mode === '--help' || mode === 'help') return 'help';
  if (mode !== 'init' && mode !== 'sidecar' && mode !== 'exec')
    throw new UsageError(`unknown mode "${mode}" (init, sidecar or exec)`);
  const out: AgentArgs = {
    mode,
    configEnv: 'SYNCRET_AGENT_CONFIG',
    logLevel: 'info',
    allowInsecure: false,
    command: [],
  };
  for (const { arg, name, value, rest } of eachFlag(argv.slice(1), (m) => new UsageError(m))) {
    if (arg === '--') {
      out.command = rest();
      break;
    }
    switch (name) {
      case '--config':
        out.configFile = value();
        break;
      case '--config-env':
        out.configEnv = value();
        break;
      case '--log-level': {
        const l = value();
        if (!(LOG_LEVELS as readonly string[]).includes(l))
          throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
        out.logLevel = l as LogLevel;
        break;
      }
      case '--allow-insecure-credentials':
        out.allowInsecure = true;
        break;
      default:
        throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  if (out.mode !== 'exec' && out.command.length > 0)
    throw new UsageError(`${out.mode} mode takes no command`);
  if (out.mode === 'exec' && out.command.length === 0)
    throw new UsageError('exec mode needs the application: -- COMMAND ARGS...');
  return out;
}

function loadConfig(a: AgentArgs): AgentConfig {
  if (a.configFile) {
    let text: string;
    try {
      text = readFileSync(a.configFile, 'utf8');
    } catch (e) {
      throw new AgentConfigError(
        `cannot read ${a.configFile}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    return parseAgentConfig(text, a.configFile);
  }
  const text = process.env[a.configEnv];
  if (!text) throw new AgentConfigError(`no configuration: give --config FILE or set ${a.configEnv}`);
  return parseAgentConfig(text, `$${a.configEnv}`);
}

/** Logs on stderr, written synchronously: exec mode replaces the process right after. */
export function stderrLogger(level: LogLevel): AgentLogger {
  return createLogger({ level, destination: { write: (line: string) => process.stderr.write(line) } });
}

export async function agentCommand(argv: string[], registry: ProviderRegistry): Promise<number> {
  let args: AgentArgs | 'help';
  let config: AgentConfig;
  try {
    args = parseAgentArgs(argv);
    if (args === 'help') {
      process.stdout.write(AGENT_USAGE);
      return 0;
    }
    config = loadConfig(args);
  } catch (e) {
    if (e instanceof UsageError || e instanceof AgentConfigError) {
      console.error(`syncret agent: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (args.allowInsecure) config.allowInsecureCredentials = true;
  const logger = stderrLogger(args.logLevel);
  try {
    if (args.mode === 'init') await runInit(config, { registry, logger });
    else if (args.mode === 'exec')
      await runExec(config, args.command, { registry, logger, configEnv: args.configEnv });
    else {
      const ctl = new AbortController();
      const stop = (): void => ctl.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await runSidecar(config, { registry, logger, signal: ctl.signal });
    }
    return 0;
  } catch (e) {
    console.error(`syncret agent ${args.mode}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
