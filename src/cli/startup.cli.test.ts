// What the operator's module graph (dist/cli/operator.js, from `make build`) loads before it
// does anything: only what every operator needs. undici's index, Node's own undici (through an
// ES import of node:http), the YAML library, re2js, node-forge, bcryptjs and the cloud SDKs
// wait for their first use (idle RSS 99.5 -> 92 MiB with the first two, docs/PERFORMANCE.md).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

describe("the operator's startup modules", () => {
  it('leave out what only some operators use', () => {
    // Every module resolved, by require() or import (module.registerHooks sees both).
    const entry = JSON.stringify('./dist/cli/operator.js');
    const script = [
      "import { registerHooks } from 'node:module';",
      'const seen = [];',
      'registerHooks({ resolve: (s, c, next) => { const r = next(s, c); seen.push(r.url); return r; } });',
      `await import(${entry});`,
      "const has = (s) => seen.some((u) => u.includes('/node_modules/' + s));",
      'console.log(JSON.stringify({',
      "  undiciIndex: has('undici/index.js'),",
      "  undiciAgent: has('undici/lib/dispatcher/agent.js'),",
      "  nodeUndici: process.moduleLoadList.some((m) => m.includes('internal/deps/undici/undici')),",
      "  lazy: ['yaml/', 're2js/', 'node-forge/', 'bcryptjs/', '@aws-sdk/', '@azure/', '@google-cloud/'].filter(has),",
      '}));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toEqual({
      undiciIndex: false,
      undiciAgent: true,
      nodeUndici: false,
      lazy: [],
    });
  });
});
