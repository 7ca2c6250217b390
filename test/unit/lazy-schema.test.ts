import { z } from 'zod';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';
import { lazySchema } from '../../src/tasks/lazy-schema';
import { PRELOADED_MODULES } from '../../src/workers/workflow-bundle';

describe('lazySchema', () => {
  it('builds nothing until first used, then builds once', () => {
    let builds = 0;
    const Name = lazySchema('test.Name', () => {
      builds += 1;
      return z.string().min(2);
    });
    expect(builds).toBe(0);
    expect(Name.parse('ab')).toBe('ab');
    expect(Name.safeParse('a').success).toBe(false);
    expect(builds).toBe(1);
  });

  it('composes into other schemas and is extended like the schema it stands for', () => {
    const Lineage = lazySchema('test.Lineage', () => z.object({ depth: z.number().int().min(0) }).strict());
    const Task = lazySchema('test.Task', () => z.object({ objective: z.string(), lineage: Lineage.optional(), inner: Lineage }).strict());
    const Extended = Task.extend({ extra: z.boolean().default(false) });
    expect(Task.parse({ objective: 'x', inner: { depth: 1 } })).toEqual({ objective: 'x', inner: { depth: 1 } });
    const bad = Task.safeParse({ objective: 'x', inner: { depth: -1 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['inner', 'depth']);
    expect(Extended.parse({ objective: 'y', inner: { depth: 0 } })).toEqual({ objective: 'y', inner: { depth: 0 }, extra: false });
    expect(Object.keys(Task.shape)).toEqual(['objective', 'lineage', 'inner']);
  });

  it('passes zod\'s instance checks and keeps the schema\'s identity-free members usable', () => {
    const Level = lazySchema('test.Level', () => z.enum(['low', 'high']));
    expect(Level instanceof z.ZodType).toBe(true);
    expect(Level.options).toEqual(['low', 'high']);
    expect(z.array(Level).parse(['low'])).toEqual(['low']);
    expect('parse' in Level).toBe(true);
  });

  it('builds a key\'s schema once for every declaration of it (each workflow execution declares it again)', () => {
    let builds = 0;
    // What a module evaluated once per execution does: the same declaration, run again.
    const declare = () =>
      lazySchema('test.Shared', () => {
        builds += 1;
        return z.object({ n: z.number() });
      });
    const first = declare();
    const second = declare();
    expect(first.parse({ n: 1 })).toEqual({ n: 1 });
    expect(second.parse({ n: 2 })).toEqual({ n: 2 });
    expect(second.safeParse({ n: 'x' }).success).toBe(false);
    expect(builds).toBe(1);
  });

  it('refuses a second, different schema under a key already taken', () => {
    lazySchema('test.Taken', () => z.string());
    expect(() => lazySchema('test.Taken', () => z.number())).toThrow(/two different schemas are declared with the key "test.Taken"/);
  });
});

describe('the modules the workflow sandbox preloads', () => {
  it('are zod and two of ours that import nothing but zod (the sandbox shares and freezes what they reach)', () => {
    expect(PRELOADED_MODULES.map((m) => (m === 'zod' ? m : path.relative(repoRoot(), m)))).toEqual(['zod', 'src/workflows/sandbox-zod.ts', 'src/tasks/lazy-schema.ts']);
    for (const file of PRELOADED_MODULES.filter((m) => m !== 'zod')) {
      const code = fs.readFileSync(file, 'utf8');
      const imported = [...code.matchAll(/(?:from|require\()\s*'([^']+)'/g)].map((m) => m[1]);
      expect({ file: path.basename(file), imported: imported.filter((i) => i !== 'zod') }).toEqual({ file: path.basename(file), imported: [] });
    }
  });
});

describe('the workflow bundle', () => {
  it('builds no zod schema when the modules each execution evaluates load (the preloaded ones are evaluated once per worker thread)', () => {
    // zod calls this hook once per schema it constructs.
    const where: string[] = [];
    const hooks = globalThis as { __zod_globalConfig?: { postProcessor?: () => void } };
    const saved = hooks.__zod_globalConfig;
    try {
      jest.isolateModules(() => {
        for (const preloaded of PRELOADED_MODULES) require(preloaded);
        hooks.__zod_globalConfig = { postProcessor: () => where.push(new Error().stack?.split('\n').find((l) => l.includes('/src/') && !l.includes('lazy-schema')) ?? '?') };
        require('../../src/workflows');
      });
    } finally {
      hooks.__zod_globalConfig = saved;
    }
    expect(where).toEqual([]);
  });
});

