import type { CallPurpose, ChatMessage } from '../types';
import { compressorAnswer } from './compressor-answer';
import { generatorAnswer } from './generator-answer';
import { spawnerAnswer } from './spawner-answer';
import { routerAnswer } from './router-answer';
import { specialistAnswer } from './specialist-answer';
import { validatorAnswer } from './validator-answer';

/**
 * The message content the offline provider answers with, by purpose. Each is a JSON string in the
 * shape src/specialists/protocol.ts expects, and the same request always gets the same answer.
 */

export interface AnswerInput {
  purpose: CallPurpose;
  agent: string;
  system: string;
  messages: readonly ChatMessage[];
  /** The request's max_tokens: long answers are shaped to fit it rather than cut off. */
  maxTokens?: number;
  /** A scenario's failure verdict for this specialist's task: it never delivers (scenario.ts). */
  stuck?: boolean;
}

export function composeAnswer(input: AnswerInput): string {
  switch (input.purpose) {
    case 'specialist':
      return JSON.stringify(specialistAnswer(input.agent, input.messages, input.maxTokens, input.stuck));
    case 'router':
      return JSON.stringify(routerAnswer(input.system, input.messages));
    case 'compressor':
      return JSON.stringify(compressorAnswer(input.messages, input.maxTokens));
    case 'generator':
      return JSON.stringify(generatorAnswer(input.system, input.messages, input.maxTokens));
    case 'spawner':
      return JSON.stringify(spawnerAnswer(input.messages));
    case 'validator':
      return JSON.stringify(validatorAnswer(input.messages));
  }
}

/** Valid JSON that breaks the purpose's schema the way a careless model does: wrong and missing fields. */
export function composeInvalidAnswer(input: AnswerInput): string {
  switch (input.purpose) {
    case 'specialist':
      return JSON.stringify({ step: 'next', status: 'in_progress', note: '' });
    case 'router':
      return JSON.stringify({ specialist: '', confidence: 1.7 });
    case 'compressor':
      return JSON.stringify({ text: 'The specialist made some progress.' });
    case 'generator':
      return JSON.stringify({ tasks: 'improve things next week' });
    case 'spawner':
      return JSON.stringify({ name: 'legal agent', model: 'gpt-9-ultra', keywords: [], fallback: true });
    case 'validator':
      return JSON.stringify({ verdict: 'maybe', reasons: 'looks fine' });
  }
}

/** A strict prefix of a JSON object can never parse, which is what a cut-off answer looks like. */
export function truncateJson(answer: string): string {
  return answer.slice(0, Math.max(1, Math.floor(answer.length / 2)));
}
