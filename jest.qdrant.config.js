/**
 * `npm run test:qdrant`: the MemoryStore contract against a real Qdrant server at QDRANT_URL
 * (QDRANT_API_KEY if it needs one). Apart from `npm test`, which runs the same contract against
 * the adapter with a fake client: no Qdrant server runs where the suite does.
 * @type {import('jest').Config}
 */
if (!process.env.QDRANT_URL) {
  throw new Error('npm run test:qdrant needs QDRANT_URL (e.g. http://localhost:6333): see README, "Memory stores"');
}
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/qdrant'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 60000,
  transform: { '^.+\\.ts$': 'ts-jest' },
};
