import { parseArgs } from '../parse-args';
import { loadConfig } from '../../config/env';
import { countTokens } from '../../llm/tokens';
import { rosterWarnings } from '../../specialists/focus';
import { loadRoster } from '../../specialists/roster';

export const ROSTER_USAGE = `pantheon roster [--dir DIR]        check the specialists in agents/ (or PANTHEON_ROSTER_DIR): refusals stop, focus warnings are listed`;

/**
 * The roster check: loads the folder as a worker would (a malformed file fails here, named, exit 1)
 * and lists every specialist with its prompt size, then the focus warnings. Warnings never change
 * the exit code: they are advice for whoever owns the file. Spawned specialists live in God's
 * state (`pantheon god status`), not in the folder.
 */
export async function rosterCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string' } } });
  const dir = values.dir ?? loadConfig().rosterDir;
  const roster = loadRoster(dir, values.dir === undefined ? 'PANTHEON_ROSTER_DIR' : '--dir');
  console.log(`roster ${dir}: ${roster.specialists.length} specialist(s)`);
  for (const s of roster.specialists) {
    const tags = [`${s.provider}/${s.model}`, `prompt ${countTokens(s.system_prompt)} tokens`, `${s.keywords.length} keywords`, ...(s.fallback ? ['fallback'] : [])];
    console.log(`  ${s.name.padEnd(20)} ${tags.join(' · ')}`);
  }
  const warnings = rosterWarnings(roster);
  console.log(warnings.length ? `warnings (${warnings.length}):` : 'warnings: none');
  for (const w of warnings) console.log(`  ${w.message}`);
}
