#!/usr/bin/env node
// The `syncret` command: `run` starts the operator; `render` prints the Secret an
// ExternalSecret would produce, offline; `policy` prints the least-privilege backend policies of
// manifests; `agent` renders secrets for a workload; `fetch` reads them once for a CI step;
// `injector` serves the Pod webhook that adds the agent to annotated pods;
// `version` and `help` print and exit. Each command imports only what it needs: the agent starts
// in a pod's init container, where loading the operator would only cost time.

import { parseCommandLine, usage, OptionsError } from './config/options.js';
import { VERSION } from './version.js';

async function renderCommand(argv: string[]): Promise<number> {
  const [{ RENDER_USAGE, RenderError, parseRenderArgs, render, secretYaml }, { defaultRegistry }] =
    await Promise.all([import('./cli/render.js'), import('./cli/registry.js')]);
  try {
    const args = parseRenderArgs(argv);
    if (args === 'help') {
      process.stdout.write(RENDER_USAGE);
      return 0;
    }
    const secret = await render(args, defaultRegistry());
    process.stdout.write(secretYaml(secret, args.decoded));
    return 0;
  } catch (e) {
    if (e instanceof RenderError) {
      console.error(`syncret render: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

async function policyCommand(argv: string[]): Promise<number> {
  const { POLICY_USAGE, PolicyError, parsePolicyArgs, policy, policyText } =
    await import('./cli/policy/index.js');
  try {
    const args = parsePolicyArgs(argv);
    if (args === 'help') {
      process.stdout.write(POLICY_USAGE);
      return 0;
    }
    const result = await policy(args);
    if (!args.out) process.stdout.write(policyText(result));
    for (const w of result.warnings) console.error(`syncret policy: warning: ${w}`);
    let differs = false;
    for (const c of result.checks ?? []) {
      for (const m of c.missing) console.error(`${c.name}: missing ${m}`);
      for (const b of c.broader) console.error(`${c.name}: broader ${b}`);
      differs ||= c.missing.length + c.broader.length > 0;
      if (c.missing.length + c.broader.length === 0) console.error(`${c.name}: as generated`);
    }
    return differs ? 1 : 0;
  } catch (e) {
    if (e instanceof PolicyError) {
      console.error(`syncret policy: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'render') return renderCommand(argv.slice(1));
  if (argv[0] === 'policy') return policyCommand(argv.slice(1));
  if (argv[0] === 'agent') {
    const [{ agentCommand }, { defaultRegistry }] = await Promise.all([
      import('./cli/agent.js'),
      import('./cli/registry.js'),
    ]);
    return agentCommand(argv.slice(1), defaultRegistry());
  }
  if (argv[0] === 'fetch') {
    const [{ fetchCommand }, { defaultRegistry }] = await Promise.all([
      import('./cli/fetch.js'),
      import('./cli/registry.js'),
    ]);
    return fetchCommand(argv.slice(1), defaultRegistry());
  }
  if (argv[0] === 'injector') return (await import('./cli/injector.js')).injectorCommand(argv.slice(1));
  let cmd;
  try {
    cmd = parseCommandLine(argv, process.env);
  } catch (e) {
    if (e instanceof OptionsError) {
      console.error(`syncret: ${e.message}\nRun 'syncret help' for usage.`);
      return 2;
    }
    throw e;
  }
  if (cmd.command === 'version') {
    process.stdout.write(`syncret ${VERSION}\n`);
    return 0;
  }
  if (cmd.command === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  // Returns only when the settings are in effect (or cannot be applied here).
  (await import('./cli/runtime-settings.js')).applyRuntimeSettings();
  await (await import('./cli/operator.js')).run(cmd.options);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    console.error(`syncret: ${(e as Error)?.message ?? String(e)}`);
    process.exit(1);
  },
);
