import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GOD_START_USAGE } from '../../src/client/commands/god';
import { HOW_TO_START_GOD } from '../../src/client/god-client';
import { godSettingsFrom, parseGodSettings, settingsDifferences } from '../../src/client/god-settings';
import { PantheonError } from '../../src/errors';
import { defaultGodConfig } from '../../src/god/messages';

/** The invalid_input a call is refused with: its message and details. */
function refusal(fn: () => unknown): { message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PantheonError);
    expect((err as PantheonError).type).toBe('invalid_input');
    return { message: (err as PantheonError).message, details: (err as PantheonError).details as Record<string, unknown> };
  }
  throw new Error('expected a refusal');
}

describe('god start --config / --config-file', () => {
  it('reads JSON and YAML alike, and returns only the settings given (no defaults, which would override a killed run\'s)', () => {
    expect(godSettingsFrom({ config: '{"tickSeconds":7,"pacing":"none"}' })).toEqual({ tickSeconds: 7, pacing: 'none' });
    expect(godSettingsFrom({ config: 'tickSeconds: 7\npacing: none\nroutingProbes: false\n' })).toEqual({ tickSeconds: 7, pacing: 'none', routingProbes: false });
  });

  it('refuses a setting out of range naming the flag and the setting', () => {
    const { message, details } = refusal(() => godSettingsFrom({ config: '{"tickSeconds":0}' }));
    expect(message).toMatch(/^--config: tickSeconds: .*1/);
    expect(details).toEqual({ field: '--config', setting: 'tickSeconds' });
    expect(refusal(() => godSettingsFrom({ config: '{"pacing":"fast"}' })).message).toMatch(/^--config: pacing: /);
  });

  it('refuses an unknown field naming it, with the setting it likely means', () => {
    const { message, details } = refusal(() => godSettingsFrom({ config: '{"tickSecond":7}' }));
    expect(message).toBe('--config: tickSecond: unknown field (did you mean tickSeconds?)');
    expect(details.setting).toBe('tickSecond');
    expect(refusal(() => godSettingsFrom({ config: '{"colour":"red"}' })).message).toMatch(/^--config: colour: unknown field \(God's settings: tickSeconds, pacing, .*holdAfterMinutes\)$/);
    // A name every object has is no setting either.
    expect(refusal(() => godSettingsFrom({ config: '{"constructor":1}' })).message).toMatch(/^--config: constructor: unknown field /);
  });

  it('refuses the workflow input\'s shape ({"config":…}) and taskQueue, saying where each belongs', () => {
    expect(refusal(() => godSettingsFrom({ config: '{"config":{"tickSeconds":7}}' })).message).toMatch(/^--config: config: unknown field \(give the settings themselves, without the workflow input's "config" wrapper/);
    expect(refusal(() => godSettingsFrom({ config: '{"taskQueue":"elsewhere"}' })).message).toBe('--config: taskQueue: unknown field (where God runs is PANTHEON_TASK_QUEUE, not a setting here)');
  });

  it('names every problem at once', () => {
    expect(refusal(() => godSettingsFrom({ config: '{"colour":1,"tickSeconds":"7","maxQueue":0}' })).message).toMatch(/^--config: colour: unknown field .*; tickSeconds: .*; maxQueue: /);
  });

  it.each([
    ['not JSON or YAML', '{"tickSeconds":7', /^--config: not valid JSON or YAML: /],
    ['a key given twice', '{"tickSeconds":7,"tickSeconds":8}', /^--config: not valid JSON or YAML: .*unique/],
    ['a list', '[{"tickSeconds":7}]', /^--config: expected an object of God's settings, .*got a list$/],
    ['a number', '7', /^--config: expected an object of God's settings, .*got number 7$/],
    ['nothing', '', /^--config: expected an object of God's settings, .*got nothing$/],
  ])('refuses %s', (_name, text, message) => {
    expect(refusal(() => godSettingsFrom({ config: text })).message).toMatch(message);
  });

  it('takes {} as no settings', () => {
    expect(godSettingsFrom({ config: '{}' })).toBeUndefined();
    expect(godSettingsFrom({})).toBeUndefined();
  });

  it('reads --config-file and names the file in a refusal; refuses both flags at once', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'god-settings-'));
    const good = path.join(dir, 'god.yaml');
    fs.writeFileSync(good, '# slower ticks for the night\ntickSeconds: 300\nreviewDefault: approve\n');
    expect(godSettingsFrom({ 'config-file': good })).toEqual({ tickSeconds: 300, reviewDefault: 'approve' });
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"reviewCostShare": 2}');
    expect(refusal(() => godSettingsFrom({ 'config-file': bad }))).toEqual({ message: expect.stringMatching(new RegExp(`^--config-file ${bad}: reviewCostShare: `)), details: { field: '--config-file', setting: 'reviewCostShare' } });
    expect(refusal(() => godSettingsFrom({ 'config-file': path.join(dir, 'missing.yaml') })).message).toMatch(/^--config-file .*missing\.yaml: cannot read it \(ENOENT\)$/);
    expect(refusal(() => godSettingsFrom({ config: '{"tickSeconds":7}', 'config-file': good })).message).toBe('--config: give either --config or --config-file, not both');
  });

  it('parseGodSettings names its source', () => {
    expect(refusal(() => parseGodSettings('maxInFlight: 0', '--config-file x.yaml')).message).toMatch(/^--config-file x\.yaml: maxInFlight: /);
  });
});

describe('settings given to a running God', () => {
  const running = { ...defaultGodConfig(), tickSeconds: 7 } as unknown as Record<string, unknown>;

  it('differ in nothing when the running God has each given value', () => {
    expect(settingsDifferences(running, { tickSeconds: 7, pacing: 'even' })).toEqual([]);
  });

  it('name each given setting the running God holds another value of (one it lacks too)', () => {
    expect(settingsDifferences(running, { tickSeconds: 9, pacing: 'even', routingSeed: 3 })).toEqual([
      { setting: 'tickSeconds', running: 7, given: 9 },
      { setting: 'routingSeed', running: undefined, given: 3 },
    ]);
  });
});

describe("the hint of a command that finds God not running", () => {
  it('names every flag `pantheon god start` takes, as its usage does (it named --goals alone)', () => {
    expect(HOW_TO_START_GOD).toContain(`\`${GOD_START_USAGE.split('\n')[0].trim()}\``);
  });
});
