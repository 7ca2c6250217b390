import type { ChatRequest } from '../../src/llm/types';

/** A specialist's ordinary chat request, for tests of what wraps the LLM client. */
export const chatRequest = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  provider: 'openai',
  model: 'gpt-4.1-mini',
  system: 'You are the database specialist.',
  messages: [{ role: 'user', content: 'Add an index on orders.created_at' }],
  maxOutputTokens: 700,
  json: true,
  purpose: 'specialist',
  agent: 'DatabaseAgent',
  taskId: 'task-1',
  ...over,
});
