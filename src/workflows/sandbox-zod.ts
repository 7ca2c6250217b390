import { config } from 'zod';

/**
 * zod as the workflow sandbox should run it: without compiling parsers.
 *
 * The sandbox builds each schema afresh for every workflow execution (see src/tasks/lazy-schema.ts)
 * and a workflow parses with it once or twice, so the fast path zod compiles on an object
 * schema's first parse (`new Function`) is paid every time and never repaid. Only the sandbox's
 * own copy of zod is configured here: the bundle's entry (index.ts) is the one module that
 * imports this file, and nothing outside the sandbox loads that entry.
 */
config({ jitless: true });
