import { cosine } from '../../src/memory/vector';
import type { QdrantApi } from '../../src/memory/qdrant-store';

type Point = { id: string | number; vector: number[]; payload: Record<string, unknown> };
type Cond = { key: string; match?: { value: unknown }; range?: { gte?: string } };

/**
 * Just enough of Qdrant's behaviour (REST semantics the adapter relies on: insert_only upserts,
 * an inclusive score_threshold, exact counts, payload filters) to run the store without a server.
 * `npm run test:qdrant` runs the same contract against a real one.
 */
export class FakeQdrant {
  points = new Map<string | number, Point>();
  collection?: { size: number; distance: string };
  indexes: string[] = [];
  createError?: unknown;

  asApi(): QdrantApi {
    return this as unknown as QdrantApi;
  }
  matches(p: Point, filter?: { must?: Cond[] }): boolean {
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
  async upsert(_name: string, args: { update_mode?: string; points: Point[] }) {
    for (const p of args.points) {
      if (args.update_mode === 'insert_only' && this.points.has(p.id)) continue;
      this.points.set(p.id, p);
    }
    return { status: 'completed' };
  }
  async query(_name: string, args: { query: number[]; filter?: { must?: Cond[] }; limit: number; score_threshold?: number }) {
    const points = [...this.points.values()]
      .filter((p) => this.matches(p, args.filter))
      .map((p) => ({ id: p.id, version: 1, score: cosine(args.query, p.vector), payload: p.payload }))
      .filter((p) => args.score_threshold === undefined || p.score >= args.score_threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, args.limit);
    return { points };
  }
  async scroll(_name: string, args: { filter?: { must?: Cond[] }; order_by?: { key: string; direction?: string }; limit: number }) {
    const key = args.order_by?.key;
    const sign = args.order_by?.direction === 'desc' ? -1 : 1;
    const points = [...this.points.values()]
      .filter((p) => this.matches(p, args.filter))
      .sort((a, b) => (key ? sign * (Date.parse(String(a.payload[key])) - Date.parse(String(b.payload[key]))) : 0))
      .slice(0, args.limit)
      .map((p) => ({ id: p.id, payload: p.payload }));
    return { points, next_page_offset: null };
  }
  async count(_name: string, args: { filter?: { must?: Cond[] } }) {
    return { count: [...this.points.values()].filter((p) => this.matches(p, args.filter)).length };
  }
}
