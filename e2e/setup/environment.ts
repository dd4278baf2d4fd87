// The e2e test environment: Node's, plus a guarantee that no operator process outlives the
// test file that started it. A file whose afterAll throws before `op.stop()` would otherwise
// leave an operator reconciling the next file's objects. Hooks cannot do this: afterAll hooks
// from setupFilesAfterEnv run before the test file's own.
//
// Jest compiles this file to CommonJS without moduleNameMapper: only node: builtins and
// packages may be imported (see global-setup.ts).

import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import { TestEnvironment as NodeEnvironment } from 'jest-environment-node';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export default class E2EEnvironment extends NodeEnvironment {
  private readonly e2eDir: string;
  private readonly testPath: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    this.e2eDir = process.env.SYNCRET_E2E_DIR ?? join(config.projectConfig.rootDir, '.e2e');
    this.testPath = context.testPath;
  }

  override async teardown(): Promise<void> {
    await this.killLeftOperators();
    await super.teardown();
  }

  private async killLeftOperators(): Promise<void> {
    const dir = join(this.e2eDir, 'operators');
    if (!existsSync(dir)) return;
    const marker = join(this.e2eDir, 'operator.kubeconfig');
    const pids: number[] = [];
    for (const f of readdirSync(dir)) {
      const pid = Number(f);
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        // gone
      }
      // A reused pid belongs to someone else: only processes run with our kubeconfig count.
      if (Number.isInteger(pid) && cmd.includes(marker)) pids.push(pid);
      else rmSync(join(dir, f), { force: true });
    }
    if (pids.length === 0) return;
    console.error(`[e2e] ${this.testPath} left operator(s) running (pids ${pids.join(', ')}); stopping them`);
    for (const pid of pids) process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids.filter(alive)) process.kill(pid, 'SIGKILL');
    for (const pid of pids) rmSync(join(dir, String(pid)), { force: true });
  }
}
