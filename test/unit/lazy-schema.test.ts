import { z } from 'zod';
import { lazySchema } from '../../src/tasks/lazy-schema';

describe('lazySchema', () => {
  it('builds nothing until first used, then builds once', () => {
    let builds = 0;
    const Name = lazySchema(() => {
      builds += 1;
      return z.string().min(2);
    });
    expect(builds).toBe(0);
    expect(Name.parse('ab')).toBe('ab');
    expect(Name.safeParse('a').success).toBe(false);
    expect(builds).toBe(1);
  });

  it('composes into other schemas and is extended like the schema it stands for', () => {
    const Lineage = lazySchema(() => z.object({ depth: z.number().int().min(0) }).strict());
    const Task = lazySchema(() => z.object({ objective: z.string(), lineage: Lineage.optional(), inner: Lineage }).strict());
    const Extended = Task.extend({ extra: z.boolean().default(false) });
    expect(Task.parse({ objective: 'x', inner: { depth: 1 } })).toEqual({ objective: 'x', inner: { depth: 1 } });
    const bad = Task.safeParse({ objective: 'x', inner: { depth: -1 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['inner', 'depth']);
    expect(Extended.parse({ objective: 'y', inner: { depth: 0 } })).toEqual({ objective: 'y', inner: { depth: 0 }, extra: false });
    expect(Object.keys(Task.shape)).toEqual(['objective', 'lineage', 'inner']);
  });

  it('passes zod\'s instance checks and keeps the schema\'s identity-free members usable', () => {
    const Level = lazySchema(() => z.enum(['low', 'high']));
    expect(Level instanceof z.ZodType).toBe(true);
    expect(Level.options).toEqual(['low', 'high']);
    expect(z.array(Level).parse(['low'])).toEqual(['low']);
    expect('parse' in Level).toBe(true);
  });
});

describe('the workflow bundle', () => {
  it('builds no zod schema when its modules load (each workflow execution loads them again)', () => {
    // zod calls this hook once per schema it constructs.
    const where: string[] = [];
    const hooks = globalThis as { __zod_globalConfig?: { postProcessor?: () => void } };
    const saved = hooks.__zod_globalConfig;
    hooks.__zod_globalConfig = { postProcessor: () => where.push(new Error().stack?.split('\n').find((l) => l.includes('/src/') && !l.includes('lazy-schema')) ?? '?') };
    try {
      jest.isolateModules(() => {
        require('../../src/workflows');
      });
    } finally {
      hooks.__zod_globalConfig = saved;
    }
    expect(where).toEqual([]);
  });
});

