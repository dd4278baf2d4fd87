// --kubeconfig: which file the operator loads, as kubectl and client-go pick it.

import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { OptionsError } from './argv.js';

function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return p;
}

/** --kubeconfig: explicit or $KUBECONFIG, then in-cluster (undefined), then the user's default file. */
export function kubeconfigPath(
  flag: string[] | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const home = env.HOME || homedir();
  const kcEnv = (env.KUBECONFIG ?? '')
    .split(delimiter)
    .map((p) => p.trim())
    .find((p) => p !== '');
  if (flag && flag.length > 0) {
    const v = flag[flag.length - 1] ?? '';
    if (v.trim() === '') throw new OptionsError('invalid value "" for --kubeconfig: must be a file path');
    return expandHome(v, home);
  }
  if (kcEnv) return expandHome(kcEnv, home);
  if (env.KUBERNETES_SERVICE_HOST) return undefined;
  return join(home, '.kube', 'config');
}
