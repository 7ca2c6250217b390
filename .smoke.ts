import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startOfflineProvider } from '/work/main/src/llm/offline';
import { countTokens } from '/work/main/src/llm/tokens';

async function main() {
  const p = await startOfflineProvider();
  const oa = new OpenAI({ apiKey: 'x', baseURL: p.url + '/v1', maxRetries: 0 });
  const an = new Anthropic({ apiKey: 'x', baseURL: p.url, maxRetries: 0 });
  const task = 'TASK\nDesign the billing schema\n' + Array.from({ length: 12 }, (_, i) => `- Create the invoice${i} table with customer and amount`).join('\n') + '\nCONSTRAINTS\n- postgres';
  const msgs: { role: 'user' | 'assistant'; content: string }[] = [{ role: 'user', content: task }];
  for (const agent of ['DatabaseAgent', 'CodeReviewAgent', 'ResearchAgent', 'Generalist']) {
    const r = await oa.chat.completions.create({ model: 'gpt-x', messages: [{ role: 'system', content: 'sys' }, ...msgs] }, { headers: { 'x-pantheon-agent': agent } });
    const c = r.choices[0].message.content!;
    console.log(agent, countTokens(c), c);
  }
  const history = [...msgs];
  for (let i = 0; i < 13; i++) {
    const r = await an.messages.create({ model: 'claude-x', max_tokens: 2000, system: 'sys', messages: history }, { headers: { 'x-pantheon-agent': 'DatabaseAgent' } });
    const t = (r.content[0] as { text: string }).text;
    history.push({ role: 'assistant', content: t }, { role: 'user', content: 'continue' });
    if (i === 12) console.log(countTokens(t), t, r.usage);
  }
  const hist = history.map((m) => `${m.role.toUpperCase()}: ${m.content}`).join('\n');
  const r = await an.messages.create({ model: 'c', max_tokens: 2000, messages: [{ role: 'user', content: 'Summarise\n' + hist }] }, { headers: { 'x-pantheon-purpose': 'compressor' } });
  const t = (r.content[0] as { text: string }).text;
  console.log(countTokens(hist), countTokens(t), JSON.parse(t).summary);
  console.log(p.calls().slice(-2));
  await p.close();
}
main();
