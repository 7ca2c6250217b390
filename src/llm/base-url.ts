/**
 * A provider base URL as Pantheon keeps it: the API root, without the version segment. Operators
 * write OPENAI_BASE_URL both ways (`http://gateway` and the openai SDK's usual `http://gateway/v1`);
 * the adapters add `/v1` back where their SDK expects it, so either form reaches `/v1/...` once.
 *
 * @example
 *   apiRoot('http://localhost:4000/v1/') // → 'http://localhost:4000'
 *   apiRoot('https://gw.example.com/openai') // → 'https://gw.example.com/openai'
 */
export function apiRoot(baseURL: string): string {
  return baseURL.replace(/\/+$/, '').replace(/\/v1$/, '');
}
