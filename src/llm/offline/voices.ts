import type { Voice } from './voice';
import { databaseVoice } from './voice-database';
import { generalVoice } from './voice-general';
import { researchVoice } from './voice-research';
import { reviewVoice } from './voice-review';

const VOICES: Record<string, Voice> = {
  databaseagent: databaseVoice,
  codereviewagent: reviewVoice,
  researchagent: researchVoice,
  generalist: generalVoice,
};

/** The voice for a specialist name; unknown names get the Generalist's. */
export function voiceFor(agent: string): Voice {
  return VOICES[agent.toLowerCase()] ?? generalVoice;
}
