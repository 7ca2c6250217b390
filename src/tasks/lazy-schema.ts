/**
 * A schema built on first use instead of at module load.
 *
 * Why: the workflow sandbox evaluates every module of the bundle again for each new workflow
 * execution (the SDK keeps one module cache per workflow, so no state leaks between them), and
 * building zod schemas is most of that work: about 35 ms of the ~41 ms a new agentTask cost the
 * single workflow thread, measured with `node --cpu-prof` on `npm run bench`. Built lazily, a
 * workflow pays only for the schemas it parses with (an agentTask: its input's), not for God's,
 * the ledger's and every message type's.
 *
 * The value stands in for the schema itself (same type, same methods, composable into other
 * schemas, `instanceof` through zod's trait check), so call sites do not change. Build only pure
 * schema code in `build`: it runs at an unknown later moment, once per module instance.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = (): T => (built ??= build());
  // Methods bound to the real schema: zod's members read their instance from `this`.
  return new Proxy({} as T, {
    get(_target, key) {
      const real = schema();
      const value: unknown = Reflect.get(real, key, real);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(real) : value;
    },
    has: (_target, key) => Reflect.has(schema(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
    set: (_target, key, value) => Reflect.set(schema(), key, value),
    ownKeys: () => Reflect.ownKeys(schema()),
    // Reported configurable: the proxy's own (empty) target holds none of these keys.
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
