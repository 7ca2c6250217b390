import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/env';
import { createLogger } from '../../src/logging/logger';
import { prepareProviders } from '../../src/workers/deps';

/**
 * A worker whose LLM calls go to an offline provider in another process (PANTHEON_OFFLINE_URL)
 * serves none itself: the offline provider's settings set on it do nothing, and it says so
 * instead of letting a fault (even a malformed one) look injected.
 */
function start(env: Record<string, string>, processEnv: Record<string, string>) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const saved = Object.fromEntries(Object.keys(processEnv).map((k) => [k, process.env[k]]));
  Object.assign(process.env, processEnv);
  try {
    prepareProviders(loadConfig({ PANTHEON_LLM_MODE: 'offline', ...env }), createLogger({ level: 'info', destination }));
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return lines;
}

it('warns, naming them, that the offline provider settings are ignored when the provider is another process', () => {
  const lines = start({ PANTHEON_OFFLINE_URL: 'http://127.0.0.1:7451' }, { PANTHEON_OFFLINE_FAULTS: '[{"kind":"rate_limt"}]', PANTHEON_OFFLINE_LATENCY_MS: '500' });
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 40,
      variables: ['PANTHEON_OFFLINE_FAULTS', 'PANTHEON_OFFLINE_LATENCY_MS'],
      msg: 'PANTHEON_OFFLINE_FAULTS, PANTHEON_OFFLINE_LATENCY_MS ignored: the offline provider at PANTHEON_OFFLINE_URL (http://127.0.0.1:7451) is another process: set them there',
    }),
  );
});

it('says nothing of them when this process serves the offline provider (it uses them), or when none is set', () => {
  expect(start({}, { PANTHEON_OFFLINE_FAULTS: '[{"kind":"rate_limit"}]' }).filter((l) => l.level === 40)).toEqual([]);
  expect(start({ PANTHEON_OFFLINE_URL: 'http://127.0.0.1:7451' }, {}).filter((l) => l.level === 40)).toEqual([]);
});
