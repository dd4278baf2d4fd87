// End-to-end tests: a real kube-apiserver, etcd and kube-controller-manager on loopback
// (e2e/tools/cluster.sh), with the operator run as its own process under its own
// ServiceAccount. Run with --runInBand: the tests share one control plane.
export default {
  rootDir: '..',
  testEnvironment: 'node',
  roots: ['<rootDir>/e2e'],
  testMatch: ['**/e2e/tests/**/*.e2e.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
    ],
  },
  globalSetup: '<rootDir>/e2e/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/e2e/setup/global-teardown.mjs',
  testTimeout: 120000,
  verbose: true,
};
