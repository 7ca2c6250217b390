import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { repoRoot } from '../../src/config/paths';
import { onStopSignals } from '../../src/runtime/stop-signals';

describe('onStopSignals (an emitter and a clock standing in for the process)', () => {
  function setUp(sameRequestMs = 1000) {
    const source = new EventEmitter();
    let now = 0;
    const stops: string[] = [];
    const forced: string[] = [];
    const dispose = onStopSignals((s) => stops.push(s), { source, sameRequestMs, now: () => now, force: (s) => forced.push(s) });
    return { source, stops, forced, dispose, advance: (ms: number) => (now += ms) };
  }

  it('stops on the first signal, once, and takes copies within the window for the same request', () => {
    const t = setUp();
    t.source.emit('SIGTERM', 'SIGTERM');
    t.advance(999);
    t.source.emit('SIGINT', 'SIGINT');
    expect(t.stops).toEqual(['SIGTERM']);
    expect(t.forced).toEqual([]);
  });

  it('answers a signal that comes the window or later after the first with force', () => {
    const t = setUp();
    t.source.emit('SIGINT', 'SIGINT');
    t.advance(1000);
    t.source.emit('SIGINT', 'SIGINT');
    expect(t.stops).toEqual(['SIGINT']);
    expect(t.forced).toEqual(['SIGINT']);
  });

  it('keeps listening until disposed, then leaves no listener behind', () => {
    const t = setUp();
    t.source.emit('SIGTERM', 'SIGTERM');
    expect([t.source.listenerCount('SIGINT'), t.source.listenerCount('SIGTERM')]).toEqual([1, 1]);
    t.dispose();
    expect([t.source.listenerCount('SIGINT'), t.source.listenerCount('SIGTERM')]).toEqual([0, 0]);
  });
});

describe('onStopSignals in a real process receiving real signals (test/fixtures/programs/stop-signals.ts)', () => {
  function start(sameRequestMs: number) {
    const program = path.join(repoRoot(), 'test', 'fixtures', 'programs', 'stop-signals.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', program], { cwd: repoRoot(), env: { ...process.env, SAME_REQUEST_MS: String(sameRequestMs) }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    const said = async (text: string) => {
      while (!stdout.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before saying "${text}": ${stdout}${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { child, exited, said, output: () => ({ stdout, stderr }) };
  }

  it('a second SIGTERM while it drains does not kill it: the drain finishes and it exits 0', async () => {
    // A window no test machine's delay reaches: the second signal is a copy.
    const p = start(600_000);
    await p.said('ready');
    p.child.kill('SIGTERM');
    await p.said('draining after SIGTERM');
    p.child.kill('SIGTERM');
    p.child.kill('SIGINT');
    // Still alive to finish the drain (a one-shot listener would have left Node's default: death by SIGTERM).
    await new Promise((r) => setTimeout(r, 200));
    p.child.stdin.end();
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.output().stdout).toContain('drained');
  }, 60_000);

  it('a signal after the window stops it at once, with 128 + the signal number, its exit handlers run', async () => {
    const p = start(0);
    await p.said('ready');
    p.child.kill('SIGINT');
    await p.said('draining after SIGINT');
    p.child.kill('SIGINT');
    expect(await p.exited).toEqual({ code: 130, signal: null });
    expect(p.output().stdout).not.toContain('drained');
    expect(p.output().stdout).toContain('exit handler ran (130)');
    expect(p.output().stderr).toContain('SIGINT again: stopping at once');
  }, 60_000);
});
