import { containsPhrase, stem, stems } from '../../src/routing/stem';

describe('stem', () => {
  it('meets a word in its plural, -ing and -ed forms', () => {
    for (const [forms, expected] of [
      [['review', 'reviews', 'reviewed', 'reviewing'], 'review'],
      [['query', 'queries'], 'query'],
      [['index', 'indexes'], 'index'],
      [['migrate', 'migrated', 'migrating'], 'migrat'],
      [['table', 'tables'], 'tabl'],
    ] as const) {
      expect(forms.map(stem)).toEqual(forms.map(() => expected));
    }
  });

  it('leaves short words and words ending in ss, us or is alone', () => {
    expect(['pr', 'vs', 'sql', 'access', 'status', 'analysis'].map(stem)).toEqual(['pr', 'vs', 'sql', 'access', 'status', 'analysis']);
  });

  it('keeps words apart that only begin alike', () => {
    expect(stem('indexer')).not.toBe(stem('index'));
    expect(stem('tablespoon')).not.toBe(stem('table'));
  });

  it('splits on anything but letters and digits, lowercased', () => {
    expect(stems('Node.js, PR #4821: Reviewing')).toEqual(['nod', 'js', 'pr', '4821', 'review']);
  });
});

describe('containsPhrase', () => {
  it('finds the words together and in order, never apart', () => {
    expect(containsPhrase(stems('open the pull requests today'), stems('pull request'))).toBe(true);
    expect(containsPhrase(stems('pull the latest request'), stems('pull request'))).toBe(false);
    expect(containsPhrase(stems('request pull'), stems('pull request'))).toBe(false);
    expect(containsPhrase(stems('anything'), [])).toBe(false);
  });
});
