/**
 * Runs in each Jest worker before its test files: points PANTHEON_TEST_TEMPORAL_ADDRESS at this
 * worker's own dev server (global-setup.ts starts one per worker), so everything that reads it —
 * harnesses, CLI runs, spawned workers — talks to one server no other running file uses.
 */
const addresses = (process.env.PANTHEON_TEST_TEMPORAL_ADDRESSES ?? '').split(',').filter(Boolean);
const worker = Number(process.env.JEST_WORKER_ID ?? '1');
if (addresses.length > 0) process.env.PANTHEON_TEST_TEMPORAL_ADDRESS = addresses[(worker - 1) % addresses.length];
