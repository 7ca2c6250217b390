/**
 * Words as routing compares them: lowercase, split on anything but letters and digits, each cut to
 * a light stem, so "reviews", "reviewed" and "reviewing" all meet "review", and "queries" meets
 * "query". Not a full stemmer (no dictionary, no irregular forms): it only has to make a task's
 * words and a roster's keywords meet in the same form. Pure.
 *
 * @example stems('Reviewing the indexes') // ['review', 'the', 'index']
 */
export function stem(word: string): string {
  let w = word.toLowerCase();
  if (w.length <= 3) return w;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.endsWith('s') && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.endsWith('ing') && w.length > 5) w = w.slice(0, -3);
  else if (w.endsWith('ed') && w.length > 4) w = w.slice(0, -2);
  if (w.endsWith('e') && w.length > 3) w = w.slice(0, -1);
  return w;
}

export function stems(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).map(stem);
}

/** Where `phrase` (words in stem form) first stands, word after word, in `words` (in stem form too); -1 if nowhere. */
export function indexOfPhrase(words: readonly string[], phrase: readonly string[]): number {
  if (phrase.length === 0) return -1;
  for (let i = 0; i + phrase.length <= words.length; i++) {
    if (phrase.every((w, j) => words[i + j] === w)) return i;
  }
  return -1;
}

export function containsPhrase(words: readonly string[], phrase: readonly string[]): boolean {
  return indexOfPhrase(words, phrase) >= 0;
}

/**
 * The keywords `words` (a text in stem form) names, in the keywords' order; keywords of one stem
 * form ("table" and "tables") count once, as the first listed.
 */
export function keywordsNamed(words: readonly string[], keywords: readonly string[]): string[] {
  const seen = new Set<string>();
  return keywords.filter((keyword) => {
    const form = stems(keyword);
    const key = form.join(' ');
    if (seen.has(key) || !containsPhrase(words, form)) return false;
    seen.add(key);
    return true;
  });
}
