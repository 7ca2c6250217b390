import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { cpuMark, cpuSection, groupCpuMs, phaseCpu } from '../../bench/cpu';

describe('bench CPU accounting', () => {
  it('reads the CPU a detached process group burned from /proc', async () => {
    // The group's leader spawns a second process; each burns 300 ms of CPU (its own count, so
    // however busy the cores are), says so and stays alive. The dev server is spawned the same
    // way: detached, the leader of its own group.
    const burn = "const u = process.cpuUsage; while (u().user + u().system < 300000) {} process.stdout.write('done\\n'); setInterval(() => {}, 1000);";
    const leader = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(burn)}], { stdio: 'inherit' }); ${burn}`;
    const child: ChildProcess = spawn(process.execPath, ['-e', leader], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.split('done').length - 1 === 2) resolve();
        });
        child.once('exit', (code) => reject(new Error(`the burner exited early (${code})`)));
      });
      const spent = groupCpuMs(child.pid!);
      expect(spent).toBeDefined();
      // Both processes' 300 ms (in clock ticks, so a tick or two short at most), plus two Node
      // start-ups; one process alone, or the leader's children missed, could not reach 560.
      expect(spent!).toBeGreaterThan(560);
      expect(spent!).toBeLessThan(600 + 1_500);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });

  it('finds nothing for a process group that does not exist', () => {
    // pid_max on Linux is at most 2^22: no group can have this id.
    expect(groupCpuMs(2 ** 23)).toBeUndefined();
  });

  it('counts this process\'s own CPU between two marks, as the kernel counts it', () => {
    // The oracle is /proc/self/stat (the kernel's ticks), not the process.cpuUsage() the marks read;
    // the loop spins until the kernel has counted 200 ms more, however long that takes on busy cores.
    const msPerTick = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    const kernelMs = () => {
      const stat = fs.readFileSync('/proc/self/stat', 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * msPerTick; // utime + stime
    };
    const from = cpuMark();
    const kernelFrom = kernelMs();
    while (kernelMs() - kernelFrom < 200) {
      // spin
    }
    const kernelSpent = kernelMs() - kernelFrom;
    const to = cpuMark();
    // A tick either side of each reading; the marks also hold the few reads outside the loop.
    expect(to.processMs - from.processMs).toBeGreaterThanOrEqual(kernelSpent - 2 * msPerTick);
    expect(to.processMs - from.processMs).toBeLessThan(kernelSpent + 150);
    expect(from.serverMs).toBeUndefined();
  });

  it('divides a phase\'s CPU by its tasks and its wall time', () => {
    const phase = phaseCpu({ atMs: 1_000, processMs: 500, serverMs: 2_000 }, { atMs: 11_000, processMs: 8_500, serverMs: 14_000 }, 100);
    expect(phase).toEqual({ tasks: 100, wallMs: 10_000, processMsPerTask: 80, serverMsPerTask: 120, coresBusy: 2 });
    // Without the server's counters: no server figure, no cores-busy figure.
    expect(phaseCpu({ atMs: 0, processMs: 0 }, { atMs: 1_000, processMs: 300 }, 10)).toEqual({ tasks: 10, wallMs: 1_000, processMsPerTask: 30 });
  });

  it('says when the server\'s CPU could not be read', () => {
    const phase = phaseCpu({ atMs: 0, processMs: 0 }, { atMs: 1_000, processMs: 300 }, 10);
    const section = cpuSection({ pipeline: phase, lowerBound: phase, bare: phase }, { ledgerUpdatesPerTask: 3.9, workflowTasksPerTask: { pipeline: 5, bare: 5 } });
    expect(section.rows[0]).toEqual(['pipeline', '30.0', '-', '-', '-']);
    expect(section.notes?.join('\n')).toMatch(/server CPU not measured/);
    expect(section.notes?.join('\n')).toMatch(/pipeline 5\.0 of its own \+ 3\.9 on the ledger/);
  });
});
