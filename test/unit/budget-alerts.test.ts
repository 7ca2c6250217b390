import { Writable } from 'node:stream';
import { budgetAlertEvent, budgetAlertSink, createAlerter } from '../../src/budget/alerts';
import type { Alert } from '../../src/budget/ledger-types';
import { createLogger } from '../../src/logging/logger';
import { startWebhookReceiver } from '../support/webhook';

const trip: Alert = {
  seq: 7,
  kind: 'breaker_open',
  reason: 'system_limit',
  scope: 'system:day',
  unit: 'usd',
  limit: 20,
  spent: 19.95,
  at: Date.parse('2024-05-01T10:00:00Z'),
  window: 'system:day@1714557600000',
  message: 'circuit breaker opened: system_limit on system:day',
};

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe('budget alerts', () => {
  it('shapes a ledger alert as a generic operator event with a stable id', () => {
    expect(budgetAlertEvent(trip)).toEqual({
      id: 'budget-7',
      kind: 'budget.breaker_open',
      message: trip.message,
      details: { scope: 'system:day', reason: 'system_limit', unit: 'usd', limit: 20, spent: 19.95, at: '2024-05-01T10:00:00.000Z', window: trip.window },
    });
  });

  it('logs at error level and POSTs the event to the webhook', async () => {
    const hook = await startWebhookReceiver();
    const { logger, lines } = capturedLogger();
    const alerter = createAlerter({ logger, webhookUrl: hook.url });
    await alerter.alert(budgetAlertEvent(trip));
    await hook.close();
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: trip.message, alert: 'budget.breaker_open', scope: 'system:day' })]);
    expect(hook.received).toEqual([expect.objectContaining({ id: 'budget-7', kind: 'budget.breaker_open', details: expect.objectContaining({ limit: 20, spent: 19.95 }) })]);
    expect(JSON.stringify(hook.received)).not.toMatch(/key|token|secret|authorization/i);
  });

  it('never throws when the webhook is unreachable; it logs the failure instead', async () => {
    const { logger, lines } = capturedLogger();
    const sink = budgetAlertSink(createAlerter({ logger, webhookUrl: 'http://127.0.0.1:9/alerts', timeoutMs: 2000 }));
    expect(() => sink(trip)).not.toThrow();
    for (let waited = 0; lines.length < 2 && waited < 3000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    expect(lines.map((l) => l.level)).toEqual([50, 40]);
    expect(lines[1].msg).toMatch(/unreachable/);
  });
});
