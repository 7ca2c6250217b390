import { describeRecorded, recordedSettings, settingsToRecord } from '../../src/client/god-watchdog-settings';
import { defaultGodConfig } from '../../src/god/messages';

describe("the settings God's watchdog records", () => {
  it('keeps only what differs from the defaults, never where God runs', () => {
    expect(settingsToRecord({ ...defaultGodConfig(), maxQueue: 7, pacing: 'none', taskQueue: 'elsewhere' })).toEqual({ maxQueue: 7, pacing: 'none' });
    expect(settingsToRecord(defaultGodConfig())).toEqual({});
  });

  it('reads a record back only when it is God settings, saying why not otherwise', () => {
    expect(recordedSettings(undefined)).toBeUndefined();
    expect(recordedSettings({ maxInFlight: 3 })).toEqual({ settings: { maxInFlight: 3 } });
    expect(recordedSettings({ maxInFlight: 0 })?.error).toMatch(/^the recorded settings are not God's settings \(maxInFlight: /);
    expect(recordedSettings({ taskQueue: 'elsewhere' })?.error).toMatch(/without taskQueue/);
    expect(recordedSettings(['maxQueue'])?.error).toMatch(/expected an object/);
  });

  it('prints an empty record as the defaults', () => {
    expect(describeRecorded({})).toBe('the defaults');
    expect(describeRecorded({ maxQueue: 7, holdAfterMinutes: 15 })).toBe('maxQueue 7, holdAfterMinutes 15');
  });
});
