import { pauseChange } from '../../src/god/pause';
import { PauseSchema, ResumeSchema } from '../../src/god/messages';

describe('what a pause or resume records', () => {
  it('records who paused and why, when the update names them', () => {
    expect(pauseChange('pause', PauseSchema.parse({ reason: 'deploy freeze', by: 'ana' }))).toEqual({ reason: 'deploy freeze', by: 'ana', detail: 'paused by ana: deploy freeze' });
    expect(pauseChange('resume', ResumeSchema.parse({ by: 'bob' }))).toEqual({ reason: 'no reason given', by: 'bob', detail: 'resumed by bob' });
    expect(pauseChange('pause', PauseSchema.parse({ by: 'ana' }))).toEqual({ reason: 'no reason given', by: 'ana', detail: 'paused by ana' });
  });

  // Every pause and resume in a recorded history came without `by`: replayed, God must come to the
  // same state and decisions as when it ran.
  it('gives an update without `by` what it gave before: the same reason, default and record', () => {
    expect(pauseChange('pause', PauseSchema.parse({}))).toEqual({ reason: 'paused by an operator', detail: 'paused: paused by an operator' });
    expect(pauseChange('resume', ResumeSchema.parse({}))).toEqual({ reason: 'resumed by an operator', detail: 'resumed: resumed by an operator' });
    expect(pauseChange('pause', PauseSchema.parse({ reason: ' deploy freeze ' }))).toEqual({ reason: 'deploy freeze', detail: 'paused: deploy freeze' });
  });

  it("refuses a blank reason or name in God's validator with words, naming no zod rule", () => {
    const issue = (raw: unknown) => PauseSchema.safeParse(raw).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issue({ reason: '   ' })).toEqual(['reason: must not be blank']);
    expect(issue({ by: '' })).toEqual(['by: must not be blank']);
    expect(issue({ reason: 'ok', who: 'ana' })).toHaveLength(1);
  });
});
