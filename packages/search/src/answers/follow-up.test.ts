import { describe, expect, it } from 'vitest';
import type { ChatProvider } from '@quarry/ai';
import { combineWithPrevious, isDependentFollowUp, standaloneQuery } from './follow-up.js';

const turn = (q: string) => ({ question: q, retrievalQuery: q, answer: 'asn1Coding encodes values [1].' });

describe('follow-up questions', () => {
  it('tells a dependent follow-up from a new question', () => {
    expect(isDependentFollowUp('and how is it invoked?')).toBe(true);
    expect(isDependentFollowUp('What about the options?')).toBe(true);
    expect(isDependentFollowUp('why?')).toBe(true);
    expect(isDependentFollowUp('How often is a beehive inspected in swarm season?')).toBe(false);
  });

  it('offline: carries the previous query\'s content words into a dependent follow-up only', () => {
    expect(combineWithPrevious('and how is it invoked?', turn('What does asn1Coding do?'))).toBe('and how is it invoked? asn1Coding');
    expect(combineWithPrevious('What is the capital of France?', turn('What does asn1Coding do?'))).toBe('What is the capital of France?');
    expect(combineWithPrevious('and how is it invoked?', undefined)).toBe('and how is it invoked?');
  });

  it('with a chat model: its one-line rewrite, or the offline rule when the model fails', async () => {
    const model = (reply: string | Error): ChatProvider => ({
      provider: 'test',
      model: 'm',
      async *stream() {
        if (reply instanceof Error) throw reply;
        yield* [reply.slice(0, 5), reply.slice(5)];
      },
    });
    const history = [turn('What does asn1Coding do?')];
    expect(await standaloneQuery('and how is it invoked?', history, model('"How is asn1Coding invoked?"\nextra'))).toEqual({ query: 'How is asn1Coding invoked?', rewrittenBy: 'model' });
    expect(await standaloneQuery('and how is it invoked?', history, model(new Error('down')))).toEqual({ query: 'and how is it invoked? asn1Coding', rewrittenBy: 'terms' });
    expect(await standaloneQuery('What is DER?', [], model('x'))).toEqual({ query: 'What is DER?', rewrittenBy: 'none' });
  });
});
