import Database from 'better-sqlite3';
import fs from 'node:fs';
import type { PantheonConfig } from '../config/env';
import { PantheonError } from '../errors';
import { HashingEmbedder } from './hashing-embedder';
import { openaiEmbeddingSpace } from './openai-embedder';
import { isBrokenFile, storeError } from './sqlite-file';

/** The vector space (embedder name and size) the configured PANTHEON_EMBEDDER writes, without building it. */
export function configuredEmbeddingSpace(embedding: PantheonConfig['embedding']): { name: string; dimensions: number } {
  if (embedding.kind === 'hashing') {
    const { name, dimensions } = new HashingEmbedder();
    return { name, dimensions };
  }
  return openaiEmbeddingSpace(embedding.model, embedding.dimensions);
}

/**
 * Refuses a PANTHEON_EMBEDDER whose space is not the one the existing embedded store was built
 * with, naming the variable, before `npm start` starts a dev server or a worker connects (the
 * store's own open refuses the same, but only once everything else has started). So is a file
 * that is not a SQLite database, or a damaged one (`store_corrupt`). A file that is new, or that
 * cannot be read as a store yet, is left to the store's open.
 */
export function checkStoredEmbedder(config: Pick<PantheonConfig, 'memory' | 'embedding'>): void {
  if (config.memory.kind !== 'sqlite' || !fs.existsSync(config.memory.file)) return;
  const stored = readStoredSpace(config.memory.file);
  if (!stored) return;
  const wanted = configuredEmbeddingSpace(config.embedding);
  if (stored.name === wanted.name && stored.dimensions === wanted.dimensions) return;
  throw PantheonError.of(
    'config_invalid',
    `environment variable PANTHEON_EMBEDDER: memory store ${config.memory.file} was built with embedder ${stored.name}/${stored.dimensions} dimensions, ` +
      `but ${wanted.name}/${wanted.dimensions} was given; use a matching embedder, \`pantheon memory reembed\`, or a new PANTHEON_MEMORY_FILE`,
    { details: { variable: 'PANTHEON_EMBEDDER', file: config.memory.file, storedEmbedder: stored.name, storedDimensions: stored.dimensions, embedder: wanted.name, dimensions: wanted.dimensions } },
  );
}

function readStoredSpace(file: string): { name: string; dimensions: number } | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.prepare("SELECT key, value FROM memory_meta WHERE key IN ('embedder_name', 'embedder_dimensions')").all() as { key: string; value: string }[];
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    const name = meta.get('embedder_name');
    const dimensions = Number(meta.get('embedder_dimensions'));
    return name !== undefined && Number.isInteger(dimensions) ? { name, dimensions } : undefined;
  } catch (err) {
    // Not a database at all, or a damaged one: no worker could use it, so the start stops here.
    if (isBrokenFile(err)) throw storeError('open', file, err);
    // No memory_meta yet, or not a store: the store's open says what is wrong.
    return undefined;
  } finally {
    db?.close();
  }
}
