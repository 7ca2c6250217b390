import path from 'node:path';
import { KNOWN_VARIABLES, loadConfig, needsOfflineProvider, withDefaults } from '../../src/config/env';
import { PantheonError } from '../../src/errors';
import { resolveProviderTargets } from '../../src/llm/providers';

const REPO = path.join(__dirname, '..', '..');
const OFFLINE_URL = 'http://127.0.0.1:4010';

function configError(fn: () => unknown): PantheonError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    return err as PantheonError;
  }
  throw new Error('expected a config_invalid error, nothing was thrown');
}

/** What a string setting set but blank is told. */
const BLANK = 'must not be blank (set but empty or only spaces): unset it for the default, or give a value';

/** The failure must be config_invalid and name the variable, in the message and the details. */
function expectNamesVariable(err: PantheonError, variable: string, message: string): void {
  expect(err.type).toBe('config_invalid');
  expect(err.retryable).toBe(false);
  expect(err.details).toEqual({ variable });
  expect(err.message).toBe(`environment variable ${variable}: ${message}`);
}

describe('loadConfig', () => {
  it('fills in the defaults from an empty environment', () => {
    const config = loadConfig({ PANTHEON_LOG_FORMAT: 'json' });
    expect(config.temporal).toEqual({
      address: undefined,
      namespace: 'default',
      connection: { address: undefined, namespace: 'default', apiKey: undefined, tls: false, summary: { addressFrom: 'default', apiKeyStatus: 'unset', tls: 'off' } },
      uiUrl: 'http://localhost:8233',
      taskQueue: 'pantheon-tasks',
      budgetTaskQueue: 'pantheon-budget',
    });
    expect(config.llm).toEqual({
      mode: 'auto',
      offlineUrl: undefined,
      offlineLatencyMs: 0,
      timeoutMs: 60_000,
      openai: { apiKey: undefined, baseURL: undefined },
      anthropic: { apiKey: undefined, baseURL: undefined },
    });
    expect(config.memory).toEqual({ kind: 'sqlite', file: path.join(REPO, '.data', 'memory.sqlite') });
    expect(config.rosterDir).toBe(path.join(REPO, 'agents'));
    expect(config.log).toEqual({ level: 'info', pretty: false });
  });

  it('picks pretty logs for a terminal unless the format is set', () => {
    expect(loadConfig({}).log.pretty).toBe(Boolean(process.stdout.isTTY));
    expect(loadConfig({ PANTHEON_LOG_FORMAT: 'pretty' }).log.pretty).toBe(true);
    expect(loadConfig({ PANTHEON_LOG_FORMAT: 'json' }).log.pretty).toBe(false);
  });

  it('reads every setting it is given', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'pantheon-prod',
      TEMPORAL_UI_URL: 'https://temporal.example.com/',
      PANTHEON_TASK_QUEUE: 'agents',
      PANTHEON_BUDGET_TASK_QUEUE: 'agents-budget',
      PANTHEON_LLM_MODE: 'live',
      PANTHEON_LLM_TIMEOUT_MS: '15000',
      PANTHEON_OFFLINE_LATENCY_MS: '250',
      OPENAI_API_KEY: 'sk-openai-123456',
      OPENAI_BASE_URL: 'https://proxy.example.com/v1',
      ANTHROPIC_API_KEY: 'sk-ant-123456',
      PANTHEON_ROSTER_DIR: '/etc/pantheon/agents',
      PANTHEON_MEMORY_FILE: '/var/lib/pantheon/memory.sqlite',
      LOG_LEVEL: 'debug',
      PANTHEON_LOG_FORMAT: 'json',
    });
    expect(config.temporal).toEqual({
      address: 'temporal.internal:7233',
      namespace: 'pantheon-prod',
      connection: expect.objectContaining({ address: 'temporal.internal:7233', namespace: 'pantheon-prod', tls: false }),
      uiUrl: 'https://temporal.example.com',
      taskQueue: 'agents',
      budgetTaskQueue: 'agents-budget',
    });
    expect(config.llm).toMatchObject({
      mode: 'live',
      timeoutMs: 15_000,
      offlineLatencyMs: 250,
      openai: { apiKey: 'sk-openai-123456', baseURL: 'https://proxy.example.com/v1' },
      anthropic: { apiKey: 'sk-ant-123456', baseURL: undefined },
    });
    expect(config.rosterDir).toBe('/etc/pantheon/agents');
    expect(config.memory).toEqual({ kind: 'sqlite', file: '/var/lib/pantheon/memory.sqlite' });
    expect(config.log).toEqual({ level: 'debug', pretty: false });
  });

  it('rejects a bad LOG_LEVEL, naming the variable', () => {
    expectNamesVariable(
      configError(() => loadConfig({ LOG_LEVEL: 'verbose' })),
      'LOG_LEVEL',
      'Invalid option: expected one of "trace"|"debug"|"info"|"warn"|"error"|"fatal"|"silent"',
    );
  });

  it('rejects a PANTHEON_LLM_TIMEOUT_MS that is not a positive integer, naming the variable', () => {
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_LLM_TIMEOUT_MS: 'abc' })), 'PANTHEON_LLM_TIMEOUT_MS', 'must be a number (got "abc")');
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_LLM_TIMEOUT_MS: '-5' })), 'PANTHEON_LLM_TIMEOUT_MS', 'must be more than 0');
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_LLM_TIMEOUT_MS: '0' })), 'PANTHEON_LLM_TIMEOUT_MS', 'must be more than 0');
    expectNamesVariable(
      configError(() => loadConfig({ PANTHEON_LLM_TIMEOUT_MS: '1.5' })),
      'PANTHEON_LLM_TIMEOUT_MS',
      'must be a whole number',
    );
  });

  it('rejects a PANTHEON_LLM_TIMEOUT_MS past an hour (a timer that long overflows and fires at once), naming the variable', () => {
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_LLM_TIMEOUT_MS: '9999999999' })), 'PANTHEON_LLM_TIMEOUT_MS', 'must be at most 3600000 (an hour)');
    expect(loadConfig({ PANTHEON_LLM_TIMEOUT_MS: '3600000' }).llm.timeoutMs).toBe(3_600_000);
  });

  it('reads a number variable set but blank as unset, its default (z.coerce.number made it 0: PANTHEON_CODEC_PORT= listened on a random port)', () => {
    const base = { PANTHEON_LOG_FORMAT: 'json' };
    for (const blank of ['', '  ']) {
      const config = loadConfig({ ...base, PANTHEON_CODEC_PORT: blank, PANTHEON_OFFLINE_LATENCY_MS: blank, PANTHEON_LLM_TIMEOUT_MS: blank, PANTHEON_EMBEDDER: 'openai', PANTHEON_EMBEDDING_DIMENSIONS: blank });
      expect(config.codec.port).toBe(8888);
      expect(config.llm.offlineLatencyMs).toBe(0);
      expect(config.llm.timeoutMs).toBe(60_000);
      expect(config.embedding).toEqual({ kind: 'openai', model: 'text-embedding-3-small', dimensions: undefined });
    }
    expect(loadConfig({ ...base, PANTHEON_CODEC_PORT: '0' }).codec.port).toBe(0);
  });

  it('refuses a number variable set to text that is no number quoting it, not as "expected number, received NaN", naming the variable', () => {
    const base = { PANTHEON_LOG_FORMAT: 'json', PANTHEON_EMBEDDER: 'openai' };
    const cases = { PANTHEON_CODEC_PORT: 'x', PANTHEON_OFFLINE_LATENCY_MS: '150ms', PANTHEON_LLM_TIMEOUT_MS: 'Infinity', PANTHEON_EMBEDDING_DIMENSIONS: '2 56' };
    for (const [name, value] of Object.entries(cases)) {
      expectNamesVariable(configError(() => loadConfig({ ...base, [name]: value })), name, `must be a number (got "${value}")`);
    }
    // Numbers written as JavaScript reads them still are, padded or not.
    expect(loadConfig({ ...base, PANTHEON_LLM_TIMEOUT_MS: ' 1e4 ' }).llm.timeoutMs).toBe(10_000);
  });

  it('refuses a number variable out of its range, or not whole, in words, naming the variable', () => {
    const base = { PANTHEON_LOG_FORMAT: 'json', PANTHEON_EMBEDDER: 'openai' };
    const cases: Array<[string, string, string]> = [
      ['PANTHEON_LLM_TIMEOUT_MS', '1.5', 'must be a whole number'],
      ['PANTHEON_LLM_TIMEOUT_MS', '0', 'must be more than 0'],
      ['PANTHEON_OFFLINE_LATENCY_MS', '-1', 'must be 0 or more'],
      ['PANTHEON_EMBEDDING_DIMENSIONS', '4', 'must be at least 8'],
      ['PANTHEON_EMBEDDING_DIMENSIONS', '4096', 'must be at most 3072'],
      ['PANTHEON_CODEC_PORT', '70000', 'must be at most 65535'],
    ];
    for (const [name, value, message] of cases) expectNamesVariable(configError(() => loadConfig({ ...base, [name]: value })), name, message);
  });

  it('never reads a PANTHEON_ variable set but empty as a value of its own: it is the default, or refused naming the variable', () => {
    const base = { PANTHEON_LOG_FORMAT: 'json' };
    const unset = loadConfig(base);
    for (const name of KNOWN_VARIABLES) {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig({ ...base, [name]: '' });
      } catch (err) {
        expect({ name, variable: (err as PantheonError).details?.variable }).toEqual({ name, variable: name });
        continue;
      }
      expect({ name, config }).toEqual({ name, config: unset });
    }
  });

  it("gives `npm start`'s own default (offline latency 150 ms) to a variable unset or blank, not to one set", () => {
    const latency = (env: NodeJS.ProcessEnv) => loadConfig(withDefaults({ PANTHEON_LOG_FORMAT: 'json', ...env }, { PANTHEON_OFFLINE_LATENCY_MS: '150' })).llm.offlineLatencyMs;
    expect(latency({})).toBe(150);
    expect(latency({ PANTHEON_OFFLINE_LATENCY_MS: '' })).toBe(150);
    expect(latency({ PANTHEON_OFFLINE_LATENCY_MS: '0' })).toBe(0);
    expect(latency({ PANTHEON_OFFLINE_LATENCY_MS: '40' })).toBe(40);
  });

  it('rejects a blank or space-padded queue or workflow id (a typo that would start work nobody polls, or bypass God), naming the variable', () => {
    for (const variable of ['PANTHEON_TASK_QUEUE', 'PANTHEON_BUDGET_TASK_QUEUE', 'PANTHEON_GOD_ID', 'PANTHEON_LEDGER_ID', 'TEMPORAL_NAMESPACE']) {
      for (const value of [' ', '   ', ' pantheon', 'pantheon ']) {
        expectNamesVariable(configError(() => loadConfig({ [variable]: value })), variable, 'must not be blank or start or end with spaces');
      }
    }
    expect(loadConfig({ PANTHEON_GOD_ID: 'god-2' }).god.id).toBe('god-2');
  });

  it('rejects a sweep or consolidation interval under a second (a Schedule refuses it later, naming nothing), naming the variable', () => {
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_SWEEP_EVERY: '0s' })), 'PANTHEON_SWEEP_EVERY', 'must be at least 1 s');
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_CONSOLIDATE_EVERY: '500ms' })), 'PANTHEON_CONSOLIDATE_EVERY', 'must be at least 1 s');
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_SWEEP_EVERY: 'soon' })), 'PANTHEON_SWEEP_EVERY', 'must be a duration such as 15m or 1h');
    expect(loadConfig({ PANTHEON_SWEEP_EVERY: '1s' }).sweeper.every).toBe('1s');
  });

  it('rejects a bad PANTHEON_LLM_MODE, naming the variable', () => {
    expectNamesVariable(
      configError(() => loadConfig({ PANTHEON_LLM_MODE: 'sometimes' })),
      'PANTHEON_LLM_MODE',
      'Invalid option: expected one of "auto"|"offline"|"live"',
    );
  });

  it('rejects a URL variable that is not a URL, naming it', () => {
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_OFFLINE_URL: 'localhost 4010' })), 'PANTHEON_OFFLINE_URL', 'must be an http(s) URL, such as http://127.0.0.1:8787');
  });

  it.each(['TEMPORAL_UI_URL', 'PANTHEON_OFFLINE_URL', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'QDRANT_URL', 'PANTHEON_ALERT_WEBHOOK_URL'])(
    'rejects %s given as host:port without a scheme (it parses as a URL whose scheme is the host), naming it',
    (name) => {
      const err = configError(() => loadConfig({ [name]: 'localhost:9999' }));
      expect({ type: err.type, details: err.details }).toEqual({ type: 'config_invalid', details: { variable: name } });
      expect(err.message).toMatch(new RegExp(`^environment variable ${name}: must be an http\\(s\\) URL, such as https?://`));
      expect(() => loadConfig({ [name]: 'http://localhost:9999' })).not.toThrow();
    },
  );

  it('rejects a codec CORS origin without a scheme (a browser never sends one), naming the variable', () => {
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_CODEC_CORS_ORIGINS: 'localhost:8233' })), 'PANTHEON_CODEC_CORS_ORIGINS', 'must be comma-separated origins, each scheme://host[:port], such as http://localhost:8233');
    expect(loadConfig({ PANTHEON_CODEC_CORS_ORIGINS: 'http://localhost:8233, https://ui.example.com/' }).codec.corsOrigins).toEqual(['http://localhost:8233', 'https://ui.example.com/']);
  });

  it('reads the codec server\'s extra host names; refuses one with a scheme or port (a Host header is compared without them), naming the variable', () => {
    expect(loadConfig({ PANTHEON_CODEC_ALLOWED_HOSTS: 'codec.internal, 10.0.0.5,[fe80::1],fe80::2,box' }).codec.allowedHosts).toEqual(['codec.internal', '10.0.0.5', '[fe80::1]', 'fe80::2', 'box']);
    for (const bad of ['https://codec.internal', 'codec.internal:8888', 'cafe:8888', 'codec internal', '10.0.0.5:8888']) {
      expectNamesVariable(
        configError(() => loadConfig({ PANTHEON_CODEC_ALLOWED_HOSTS: bad })),
        'PANTHEON_CODEC_ALLOWED_HOSTS',
        'must be comma-separated host names or addresses, without scheme or port, such as codec.internal,10.0.0.5',
      );
    }
  });

  it('rejects an empty or blank API key rather than treating it as set', () => {
    for (const blank of ['', '   ']) expectNamesVariable(configError(() => loadConfig({ OPENAI_API_KEY: blank })), 'OPENAI_API_KEY', BLANK);
  });

  it('refuses a path, host or list setting that is only spaces as it refuses an empty one, naming it (it was read as a value: a memory file named "   ", no CORS origin at all)', () => {
    const settings = ['PANTHEON_MEMORY_FILE', 'PANTHEON_ROSTER_DIR', 'PANTHEON_WORKFLOW_BUNDLE', 'PANTHEON_CODEC_HOST', 'PANTHEON_CODEC_CORS_ORIGINS', 'PANTHEON_CODEC_ALLOWED_HOSTS', 'PANTHEON_CODEC_KEY_FILE', 'PANTHEON_EMBEDDING_MODEL', 'QDRANT_API_KEY'];
    for (const variable of settings) {
      for (const blank of ['', ' ', '   ', '\t']) expectNamesVariable(configError(() => loadConfig({ [variable]: blank })), variable, BLANK);
    }
    // A list of commas alone names no origin or host: refused with the list's own rule.
    expect(configError(() => loadConfig({ PANTHEON_CODEC_CORS_ORIGINS: ' , ' })).details).toEqual({ variable: 'PANTHEON_CODEC_CORS_ORIGINS' });
    expect(configError(() => loadConfig({ PANTHEON_CODEC_ALLOWED_HOSTS: ',' })).details).toEqual({ variable: 'PANTHEON_CODEC_ALLOWED_HOSTS' });
  });

  it('requires QDRANT_URL for qdrant memory', () => {
    expectNamesVariable(configError(() => loadConfig({ PANTHEON_MEMORY: 'qdrant' })), 'QDRANT_URL', 'required when PANTHEON_MEMORY=qdrant');
  });

  it('uses qdrant memory when QDRANT_URL is given', () => {
    expect(loadConfig({ PANTHEON_MEMORY: 'qdrant', QDRANT_URL: 'http://qdrant:6333', QDRANT_API_KEY: 'qk-1' }).memory).toEqual({
      kind: 'qdrant',
      url: 'http://qdrant:6333',
      apiKey: 'qk-1',
    });
  });
});

describe('needsOfflineProvider', () => {
  it('is true in offline mode and false in live mode', () => {
    expect(needsOfflineProvider(loadConfig({ PANTHEON_LLM_MODE: 'offline', OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' }))).toBe(true);
    expect(needsOfflineProvider(loadConfig({ PANTHEON_LLM_MODE: 'live' }))).toBe(false);
  });

  it('is true in auto mode only when no key is set at all', () => {
    expect(needsOfflineProvider(loadConfig({}))).toBe(true);
    expect(needsOfflineProvider(loadConfig({ OPENAI_API_KEY: 'k' }))).toBe(false);
    expect(needsOfflineProvider(loadConfig({ OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' }))).toBe(false);
  });
});

// The full table of modes, keys and remaps is in provider-modes.test.ts; these check the targets.
describe('resolveProviderTargets', () => {
  it('in auto mode with only OPENAI_API_KEY, sends openai live and disables anthropic (never offline)', () => {
    const targets = resolveProviderTargets(loadConfig({ OPENAI_API_KEY: 'sk-live-openai', PANTHEON_OFFLINE_URL: OFFLINE_URL }));
    expect(targets).toEqual({
      openai: { status: 'live', apiKey: 'sk-live-openai', baseURL: undefined },
      anthropic: { status: 'disabled' },
    });
  });

  it('in auto mode with both keys, sends both live and needs no offline URL', () => {
    const targets = resolveProviderTargets(
      loadConfig({ OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a', ANTHROPIC_BASE_URL: 'https://anthropic.proxy.example.com' }),
    );
    expect(targets).toEqual({
      openai: { status: 'live', apiKey: 'sk-o', baseURL: undefined },
      anthropic: { status: 'live', apiKey: 'sk-a', baseURL: 'https://anthropic.proxy.example.com' },
    });
  });

  it('in auto mode with no key, sends both offline', () => {
    expect(resolveProviderTargets(loadConfig({ PANTHEON_OFFLINE_URL: OFFLINE_URL }))).toEqual({
      openai: { status: 'offline', apiKey: 'offline', baseURL: OFFLINE_URL },
      anthropic: { status: 'offline', apiKey: 'offline', baseURL: OFFLINE_URL },
    });
  });

  it('in offline mode, ignores the keys and sends both to the offline URL', () => {
    expect(
      resolveProviderTargets(
        loadConfig({ PANTHEON_LLM_MODE: 'offline', OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a', PANTHEON_OFFLINE_URL: OFFLINE_URL }),
      ),
    ).toEqual({
      openai: { status: 'offline', apiKey: 'offline', baseURL: OFFLINE_URL },
      anthropic: { status: 'offline', apiKey: 'offline', baseURL: OFFLINE_URL },
    });
  });

  it('in offline mode without PANTHEON_OFFLINE_URL, fails naming it', () => {
    expectNamesVariable(
      configError(() => resolveProviderTargets(loadConfig({ PANTHEON_LLM_MODE: 'offline', OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a' }))),
      'PANTHEON_OFFLINE_URL',
      'required when the offline provider answers',
    );
  });

  it('in live mode with both keys, sends both live', () => {
    expect(resolveProviderTargets(loadConfig({ PANTHEON_LLM_MODE: 'live', OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a' }))).toEqual({
      openai: { status: 'live', apiKey: 'sk-o', baseURL: undefined },
      anthropic: { status: 'live', apiKey: 'sk-a', baseURL: undefined },
    });
  });
});
