// Unit tests: colocated *.test.ts files under src/ (and bench/lib/). ESM end to end, transpiled by swc
// (type checking is tsc's job in `npm run typecheck`).
export default {
  testEnvironment: 'node',
  // Tests wait for conditions, never for a clock: a loaded CI machine may take seconds where an
  // idle one takes milliseconds, and only a hung test should fail on time.
  testTimeout: 30_000,
  roots: ['<rootDir>/src', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' } },
    ],
  },
};
