import type { QdrantClient } from '@qdrant/js-client-rest';

/** The part of the Qdrant client the memory store and its lessons use; tests pass a fake. */
export type QdrantApi = Pick<
  QdrantClient,
  'collectionExists' | 'createCollection' | 'getCollection' | 'createPayloadIndex' | 'retrieve' | 'upsert' | 'query' | 'count' | 'scroll' | 'setPayload'
>;
