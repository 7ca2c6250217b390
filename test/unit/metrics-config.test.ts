import { loadConfig } from '../../src/config/env';
import { metricsRuntimeOptions } from '../../src/metrics/runtime';
import { LEDGER_BUCKETS_MS, METRICS } from '../../src/metrics/names';

describe('PANTHEON_METRICS_ADDRESS', () => {
  it('leaves the metrics endpoint off unless an address is given', () => {
    expect(loadConfig({}).metrics.address).toBeUndefined();
    expect(metricsRuntimeOptions(undefined)).toEqual({});
  });

  it('accepts host:port and hands it to the Runtime as the Prometheus bind address, with millisecond ledger buckets', () => {
    for (const address of ['127.0.0.1:9464', '0.0.0.0:9464', 'localhost:9464', '[::1]:9464']) {
      expect(loadConfig({ PANTHEON_METRICS_ADDRESS: address }).metrics.address).toBe(address);
    }
    const prometheus = (metricsRuntimeOptions('127.0.0.1:9464').telemetryOptions?.metrics as { prometheus: Record<string, unknown> }).prometheus;
    expect(prometheus.bindAddress).toBe('127.0.0.1:9464');
    expect(prometheus.histogramBucketOverrides).toEqual({ [METRICS.ledgerRoundTrip.name]: LEDGER_BUCKETS_MS });
  });

  it('binds localhost as the loopback address (the exporter resolves no names)', () => {
    const prometheus = (metricsRuntimeOptions('localhost:9464').telemetryOptions?.metrics as { prometheus: Record<string, unknown> }).prometheus;
    expect(prometheus.bindAddress).toBe('127.0.0.1:9464');
  });

  it('refuses an address without a port, a URL, a host name it would not resolve, or a port past 65535, naming the variable', () => {
    for (const bad of ['127.0.0.1', 'http://127.0.0.1:9464', ':9464', 'metrics.internal:9464', '127.0.0.1:99999', '127.0.0.1:0', '300.1.1.1:9464']) {
      expect(() => loadConfig({ PANTHEON_METRICS_ADDRESS: bad })).toThrow(/PANTHEON_METRICS_ADDRESS/);
    }
  });

  it('names every Pantheon metric pantheon_*, counters with their _total', () => {
    for (const { name } of Object.values(METRICS)) expect(name).toMatch(/^pantheon_[a-z_]+$/);
    expect(METRICS.tasks.name).toBe('pantheon_tasks_total');
  });
});
