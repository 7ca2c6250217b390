import type { TracingSettings } from './settings';
import type { TracingHandle, TracingRole } from './types';

/**
 * This process's tracing, or undefined when it is off (then nothing is loaded or installed: the
 * OpenTelemetry SDK is required here only when there is somewhere to send spans). The first
 * holder's role names the service; every holder releases, the last one flushes.
 *
 * @example
 * const traced = await openTracing(config.tracing, 'pantheon-client');
 * try { … } finally { await traced?.release(); }
 */
export async function openTracing(settings: TracingSettings | undefined, role: TracingRole, warn?: (message: string) => void): Promise<TracingHandle | undefined> {
  if (!settings) return undefined;
  const { acquireTracing } = await import('./tracing');
  return acquireTracing(settings, role, warn);
}
