import { config, z } from 'zod';

/**
 * zod as the workflow sandbox should run it, set once before the sandbox freezes it.
 *
 * This module is preloaded (src/workers/workflow-bundle.ts): evaluated once per worker thread,
 * before any workflow runs, after which the SDK deep-freezes zod's exports, its global config
 * among them. So everything zod would write into that config later is written here:
 * - `jitless`: without it zod compiles an object schema's fast path with `new Function` on its
 *   first parse, which a sandbox that builds schemas once per worker thread would repay, but zod
 *   caches whether `new Function` works in an object the freeze makes read-only;
 * - its default locale and memoizer, which zod installs on the first schema it constructs (hence
 *   the throwaway object schema): on a frozen config that first construction would throw.
 * The bundle's entry (index.ts) imports this file too, so a bundle built without preloading it
 * configures zod the same way, once per execution.
 */
config({ jitless: true });
z.object({});
