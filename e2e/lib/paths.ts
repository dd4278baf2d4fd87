import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const E2E_DIR = process.env.SYNCRET_E2E_DIR ?? join(ROOT, '.e2e');
export const ADMIN_KUBECONFIG = join(E2E_DIR, 'kubeconfig');
export const OPERATOR_KUBECONFIG = join(E2E_DIR, 'operator.kubeconfig');
export const LOG_DIR = join(E2E_DIR, 'logs');
export const CLUSTER_ENV = join(E2E_DIR, 'cluster', 'env');
/** One `<pid>` file per running operator, so a crashed test file cannot leave one behind. */
export const OPERATOR_PID_DIR = join(E2E_DIR, 'operators');
