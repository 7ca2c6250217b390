import { devServerArgs } from '../../src/runtime/dev-server';
import { ALL_SEARCH_ATTRIBUTES, SEARCH_ATTRIBUTE_CLI_TYPES, TaskCostUsd, TaskStatus } from '../../src/workflows/search-attributes';

describe('devServerArgs', () => {
  it('passes ports, WAL pragmas, every Pantheon search attribute and warn logging', () => {
    const args = devServerArgs({ port: 7300, uiPort: 8300, dbFile: '/d/t.sqlite', namespace: 'default', searchAttributes: ALL_SEARCH_ATTRIBUTES });
    expect(args).toEqual([
      'server', 'start-dev', '--ip', '127.0.0.1', '--port', '7300',
      '--ui-port', '8300', '--ui-disable-news-fetch',
      '--db-filename', '/d/t.sqlite', '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal',
      ...ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${SEARCH_ATTRIBUTE_CLI_TYPES[k.type]}`]),
      '--log-level', 'warn',
    ]);
    // The CLI's own type names, not the SDK's enum spelling.
    expect(args).toEqual(expect.arrayContaining(['PantheonStatus=Keyword', 'PantheonCostUsd=Double', 'PantheonTokens=Int']));
  });

  it('goes in-memory and headless without a file or UI port, and creates a non-default namespace', () => {
    const args = devServerArgs({ port: 7300, dbFile: null, namespace: 'pantheon', searchAttributes: [TaskStatus, TaskCostUsd] });
    expect(args).toContain('--headless');
    expect(args).not.toContain('--db-filename');
    expect(args).not.toContain('--sqlite-pragma');
    expect(args).not.toContain('--ui-port');
    expect(args.slice(args.indexOf('--namespace'), args.indexOf('--namespace') + 2)).toEqual(['--namespace', 'pantheon']);
    expect(args.filter((a) => a.startsWith('Pantheon'))).toEqual(['PantheonStatus=Keyword', 'PantheonCostUsd=Double']);
  });
});
