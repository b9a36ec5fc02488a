import { describe, expect, it } from 'vitest';
import { createStopMatcher } from './stop-matcher.js';

describe('stop matcher', () => {
  it('passes text through when there are no stop sequences', () => {
    expect(createStopMatcher([]).push('hello')).toEqual({ text: 'hello', stopped: false });
  });

  it('cuts at a stop sequence split over chunks and never leaks part of it', () => {
    const matcher = createStopMatcher([' the end']);
    expect(matcher.push('and then th')).toEqual({ text: 'and then', stopped: false });
    expect(matcher.push('is was the')).toEqual({ text: ' this was', stopped: false });
    expect(matcher.push(' en')).toEqual({ text: '', stopped: false });
    expect(matcher.push('d!')).toEqual({ text: '', stopped: true });
  });

  it('releases held-back text that turned out not to be a stop', () => {
    const matcher = createStopMatcher(['STOP']);
    expect(matcher.push('ST')).toEqual({ text: '', stopped: false });
    expect(matcher.push('AR')).toEqual({ text: 'STAR', stopped: false });
    matcher.push('S');
    expect(matcher.flush()).toBe('S');
  });

  it('stops at the earliest of several sequences', () => {
    expect(createStopMatcher(['b', 'a']).push('xxaxb')).toEqual({ text: 'xx', stopped: true });
  });
});
