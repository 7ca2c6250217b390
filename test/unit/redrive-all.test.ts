import { redrivesForAll } from '../../src/client/redrive';

describe('dlq redrive --all', () => {
  it('redrives first-time dead letters and skips redrives that dead-lettered again, naming them', () => {
    const picked = redrivesForAll([
      { id: 'a' },
      { id: 'b-redrive', redriveOf: 'b' },
      { id: 'c' },
      { id: 'b-redrive-redrive', redriveOf: 'b-redrive' },
    ]);
    expect(picked.ids).toEqual(['a', 'c']);
    expect(picked.skipped).toEqual([
      { id: 'b-redrive', redriveOf: 'b' },
      { id: 'b-redrive-redrive', redriveOf: 'b-redrive' },
    ]);
  });

  it('has nothing to do when every dead letter is a redrive', () => {
    expect(redrivesForAll([{ id: 'x-redrive', redriveOf: 'x' }]).ids).toEqual([]);
  });
});
