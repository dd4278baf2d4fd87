// End-to-end tests: a real kube-apiserver, etcd and kube-controller-manager on loopback
// (e2e/tools/cluster.sh), with the operator run as its own process under its own
// ServiceAccount. Run with --runInBand: the tests share one control plane.
export default {
  rootDir: '..',
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
  // These three are compiled to CommonJS by Jest outside the test runtime: see the comment
  // at the top of global-setup.ts for what they may import.
  testEnvironment: '<rootDir>/e2e/setup/environment.ts',
  globalSetup: '<rootDir>/e2e/setup/global-setup.ts',
  globalTeardown: '<rootDir>/e2e/setup/global-teardown.ts',
  testTimeout: 120000,
  // A test that waits for a controller legitimately runs for many seconds.
  slowTestThreshold: 60,
  verbose: true,
};
