/**
 * A schema built on first use instead of at module load, and built once per process.
 *
 * Why: the workflow sandbox evaluates every module of the bundle again for each new workflow
 * execution (the SDK keeps one module cache per workflow, so no state leaks between them), and
 * building zod schemas was most of that work (~35 of the ~41 ms a new agentTask cost the single
 * workflow thread, `node --cpu-prof` on `npm run bench`). So a schema is built only when first
 * parsed with, and the built schema is kept here, by key, rather than in the module that declares
 * it: this module is one the bundle preloads (src/workers/workflow-bundle.ts), evaluated once per
 * worker thread and shared by every execution, so a schema built by one workflow is reused by the
 * next instead of being built again with its module. Outside the sandbox it is an ordinary
 * module: one build per process.
 *
 * Sharing is safe because a built schema is pure: it holds no workflow's state, and what zod
 * memoises on it (recursion checks, lazily computed shapes) is the same whoever computes it.
 * Nothing built here is frozen by the sandbox (the map is not reachable from the module's exports,
 * and zod's lazy members could not be computed on a frozen schema).
 *
 * The value stands in for the schema itself (same type, same methods, composable into other
 * schemas, `instanceof` through zod's trait check), so call sites do not change. Build only pure
 * schema code in `build`: it runs at an unknown later moment, in whichever workflow parses first.
 * Keys are `module.Name`; two declarations with one key and different code throw at the second.
 *
 * This module imports nothing: whatever it imported would be preloaded and frozen with it.
 */
const built = new Map<string, { source: string; schema?: object }>();

export function lazySchema<T extends object>(key: string, build: () => T): T {
  const source = build.toString();
  const entry = built.get(key);
  if (!entry) built.set(key, { source });
  else if (entry.source !== source) throw new Error(`lazySchema: two different schemas are declared with the key ${JSON.stringify(key)}`);
  const schema = (): T => {
    const slot = built.get(key)!;
    return (slot.schema ??= build()) as T;
  };
  // Methods bound to the real schema: zod's members read their instance from `this`.
  return new Proxy({} as T, {
    get(_target, prop) {
      const real = schema();
      const value: unknown = Reflect.get(real, prop, real);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real) : value;
    },
    has: (_target, prop) => Reflect.has(schema(), prop),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
    set: (_target, prop, value) => Reflect.set(schema(), prop, value),
    ownKeys: () => Reflect.ownKeys(schema()),
    // Reported configurable: the proxy's own (empty) target holds none of these keys.
    getOwnPropertyDescriptor: (_target, prop) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), prop);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
