import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A real HTTP endpoint that records the JSON bodies POSTed to it, for alert tests. */
export async function startWebhookReceiver(): Promise<{ url: string; received: Array<Record<string, unknown>>; close(): Promise<void> }> {
  const received: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/alerts`, received, close: () => new Promise((r) => server.close(() => r())) };
}
