/** Keyword extraction shared by the router's matching and the specialists' phrasing. */

const STOPWORDS = new Set([
  'about', 'above', 'after', 'again', 'also', 'answer', 'based', 'been', 'before', 'being', 'below',
  'both', 'could', 'does', 'doing', 'done', 'each', 'every', 'from', 'have', 'having', 'here', 'into',
  'just', 'like', 'make', 'more', 'most', 'must', 'need', 'needs', 'only', 'other', 'over', 'please',
  'same', 'should', 'some', 'such', 'task', 'than', 'that', 'their', 'them', 'then', 'there', 'these',
  'they', 'this', 'those', 'through', 'under', 'until', 'upon', 'used', 'uses', 'using', 'very', 'want',
  'were', 'what', 'when', 'where', 'which', 'while', 'will', 'with', 'within', 'without', 'would',
  'your', 'yours',
]);

/** Distinct lowercase words of four or more characters, stopwords removed, in first-seen order. */
export function keywords(text: string): string[] {
  const seen = new Set<string>();
  for (const match of text.toLowerCase().matchAll(/[a-z0-9]+/g)) {
    const word = match[0];
    if (word.length >= 4 && !STOPWORDS.has(word)) seen.add(word);
  }
  return [...seen];
}

// Verbs that say what to do with a topic; a phrase like "findings on create" reads as a bug.
const ACTION_VERBS = new Set([
  'analyse', 'analyze', 'assess', 'build', 'check', 'compare', 'create', 'define', 'describe', 'design',
  'document', 'evaluate', 'explain', 'find', 'implement', 'investigate', 'list', 'research', 'review',
  'summarise', 'summarize', 'update', 'write',
]);

/** Keywords that name the subject of a work item rather than the action on it. */
export function topicWords(text: string): string[] {
  return keywords(text).filter((w) => !ACTION_VERBS.has(w) && /^[a-z]/.test(w));
}

/** Shortens text at a word boundary so a quoted work item cannot blow up a note's size. */
export function clip(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= maxChars) return flat;
  const cut = flat.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxChars / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:.]+$/, '')}...`;
}

export function firstWords(text: string, count: number): string {
  return text.replace(/\s+/g, ' ').trim().split(' ').slice(0, count).join(' ');
}
