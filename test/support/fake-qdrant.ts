import { cosine } from '../../src/memory/vector';
import type { QdrantApi } from '../../src/memory/qdrant-api';

type Vector = number[] | Record<string, number[]>;
type Point = { id: string | number; vector: Vector; payload: Record<string, unknown> };
type Cond = { key: string; match: { value: unknown } };

function normalised(v: number[]): number[] {
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return n > 0 ? v.map((x) => x / n) : v;
}

/**
 * Just enough of Qdrant's behaviour for the memory store's calls, several collections at once:
 * named vectors (normalised on write, as Qdrant does for Cosine), filters with `must` matches
 * (an array field matches when any element equals), scroll pages, setPayload, insert_only upserts.
 */
export class MultiFakeQdrant {
  collections = new Map<string, { vectors: unknown; points: Map<string | number, Point>; indexes: string[] }>();

  private col(name: string) {
    const c = this.collections.get(name);
    if (!c) throw Object.assign(new Error(`Not found: Collection \`${name}\` doesn't exist!`), { status: 404 });
    return c;
  }
  private matches(p: Point, filter?: { must?: Cond[] }): boolean {
    return (filter?.must ?? []).every((c) => {
      const v = p.payload[c.key];
      return Array.isArray(v) ? v.includes(c.match.value) : v === c.match.value;
    });
  }
  private pick(p: Point, withVector: unknown): unknown {
    if (!withVector) return undefined;
    if (Array.isArray(p.vector) || !Array.isArray(withVector)) return p.vector;
    return Object.fromEntries((withVector as string[]).map((k) => [k, (p.vector as Record<string, number[]>)[k]]));
  }
  async collectionExists(name: string) {
    return { exists: this.collections.has(name) };
  }
  async createCollection(name: string, args: { vectors: unknown }) {
    if (this.collections.has(name)) throw Object.assign(new Error('Conflict'), { status: 409 });
    this.collections.set(name, { vectors: args.vectors, points: new Map(), indexes: [] });
    return true;
  }
  async getCollection(name: string) {
    return { config: { params: { vectors: this.col(name).vectors } } };
  }
  async createPayloadIndex(name: string, args: { field_name: string; field_schema: string }) {
    this.col(name).indexes.push(`${args.field_name}:${args.field_schema}`);
    return { status: 'completed' };
  }
  async retrieve(name: string, args: { ids: (string | number)[]; with_payload?: boolean; with_vector?: unknown }) {
    const { points } = this.col(name);
    return args.ids.flatMap((id) => {
      const p = points.get(id);
      return p ? [{ id, payload: args.with_payload ? structuredClone(p.payload) : undefined, vector: this.pick(p, args.with_vector) }] : [];
    });
  }
  async upsert(name: string, args: { update_mode?: string; points: Point[] }) {
    const { points } = this.col(name);
    for (const p of args.points) {
      if (args.update_mode === 'insert_only' && points.has(p.id)) continue;
      const vector = Array.isArray(p.vector) ? p.vector : Object.fromEntries(Object.entries(p.vector).map(([k, v]) => [k, normalised(v)]));
      points.set(p.id, { id: p.id, vector, payload: structuredClone(JSON.parse(JSON.stringify(p.payload))) });
    }
    return { status: 'completed' };
  }
  async setPayload(name: string, args: { points: (string | number)[]; payload: Record<string, unknown> }) {
    const { points } = this.col(name);
    for (const id of args.points) {
      const p = points.get(id);
      if (p) Object.assign(p.payload, JSON.parse(JSON.stringify(args.payload)));
    }
    return { status: 'completed' };
  }
  async query(name: string, args: { query: number[]; using?: string; filter?: { must?: Cond[] }; limit: number; score_threshold?: number; with_payload?: boolean }) {
    const points = [...this.col(name).points.values()]
      .filter((p) => this.matches(p, args.filter))
      .map((p) => {
        const v = Array.isArray(p.vector) ? p.vector : p.vector[args.using ?? ''];
        return { id: p.id, version: 1, score: v ? cosine(args.query, v) : 0, payload: structuredClone(p.payload) };
      })
      .filter((p) => args.score_threshold === undefined || p.score >= args.score_threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, args.limit);
    return { points };
  }
  async scroll(name: string, args: { filter?: { must?: Cond[] }; limit?: number; offset?: string | number; with_payload?: boolean; with_vector?: unknown }) {
    const all = [...this.col(name).points.values()].filter((p) => this.matches(p, args.filter)).sort((a, b) => String(a.id).localeCompare(String(b.id)));
    const start = args.offset === undefined ? 0 : all.findIndex((p) => p.id === args.offset);
    const page = all.slice(start, start + (args.limit ?? 10));
    const next = all[start + page.length];
    return { points: page.map((p) => ({ id: p.id, payload: structuredClone(p.payload), vector: this.pick(p, args.with_vector) })), next_page_offset: next ? next.id : null };
  }
  async count(name: string, args: { filter?: { must?: Cond[] } }) {
    return { count: [...this.col(name).points.values()].filter((p) => this.matches(p, args.filter)).length };
  }
}

type SinglePoint = { id: string | number; vector: number[]; payload: Record<string, unknown> };
type SingleCond = { key: string; match?: { value: unknown }; range?: { gte?: string } };

/**
 * Just enough of Qdrant's behaviour (REST semantics the adapter relies on: insert_only upserts,
 * an inclusive score_threshold, exact counts, payload filters) to run the store without a server.
 * `npm run test:qdrant` runs the same contract against a real one.
 */
export class FakeQdrant {
  points = new Map<string | number, SinglePoint>();
  collection?: { size: number; distance: string };
  indexes: string[] = [];
  createError?: unknown;

  asApi(): QdrantApi {
    return this as unknown as QdrantApi;
  }
  matches(p: SinglePoint, filter?: { must?: SingleCond[] }): boolean {
    return (filter?.must ?? []).every((c) =>
      c.range ? Date.parse(String(p.payload[c.key])) >= Date.parse(c.range.gte ?? '') : p.payload[c.key] === c.match?.value,
    );
  }
  async collectionExists() {
    return { exists: this.collection !== undefined };
  }
  async createCollection(_name: string, args: { vectors: { size: number; distance: string } }) {
    if (this.createError) throw this.createError;
    this.collection = args.vectors;
    return true;
  }
  async getCollection() {
    return { config: { params: { vectors: this.collection } } };
  }
  async createPayloadIndex(_name: string, args: { field_name: string; field_schema: string }) {
    this.indexes.push(`${args.field_name}:${args.field_schema}`);
    return { status: 'completed' };
  }
  async retrieve(_name: string, args: { ids: (string | number)[]; with_payload?: boolean }) {
    return args.ids.flatMap((id) => {
      const p = this.points.get(id);
      return p ? [{ id, payload: args.with_payload ? p.payload : undefined }] : [];
    });
  }
  async upsert(_name: string, args: { update_mode?: string; points: SinglePoint[] }) {
    for (const p of args.points) {
      if (args.update_mode === 'insert_only' && this.points.has(p.id)) continue;
      this.points.set(p.id, p);
    }
    return { status: 'completed' };
  }
  async query(_name: string, args: { query: number[]; filter?: { must?: SingleCond[] }; limit: number; score_threshold?: number }) {
    const points = [...this.points.values()]
      .filter((p) => this.matches(p, args.filter))
      .map((p) => ({ id: p.id, version: 1, score: cosine(args.query, p.vector), payload: p.payload }))
      .filter((p) => args.score_threshold === undefined || p.score >= args.score_threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, args.limit);
    return { points };
  }
  async scroll(_name: string, args: { filter?: { must?: SingleCond[] }; order_by?: { key: string; direction?: string }; limit: number }) {
    const key = args.order_by?.key;
    const sign = args.order_by?.direction === 'desc' ? -1 : 1;
    const points = [...this.points.values()]
      .filter((p) => this.matches(p, args.filter))
      .sort((a, b) => (key ? sign * (Date.parse(String(a.payload[key])) - Date.parse(String(b.payload[key]))) : 0))
      .slice(0, args.limit)
      .map((p) => ({ id: p.id, payload: p.payload }));
    return { points, next_page_offset: null };
  }
  async count(_name: string, args: { filter?: { must?: SingleCond[] } }) {
    return { count: [...this.points.values()].filter((p) => this.matches(p, args.filter)).length };
  }
}
