/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The contract against a real Qdrant server runs only in `npm run test:qdrant` (jest.qdrant.config.js).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/qdrant/'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 120000,
  // Slowest files first also on a clean clone, where jest has no timings (see the file).
  testSequencer: '<rootDir>/test/setup/slow-first-sequencer.js',
  transform: { '^.+\\.ts$': 'ts-jest' },
};
