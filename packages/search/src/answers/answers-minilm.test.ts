/**
 * Extractive answers with the default offline model (all-MiniLM-L6-v2), whose
 * relevance floor is calibrated: an unrelated question is declined with
 * closest matches and no sources; a related one quotes the passage that
 * answers it, never a contents line; Sources are exactly the cited passages.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMiniLmEmbedder, type Embedder } from '@quarry/ai';
import { openTestDatabase, type TestDatabase } from '../../../../test/support/databases.js';
import { createSearchService } from '../service.js';
import { activateSpace, createWorkspace, insertDocument } from '../test-fixtures.js';
import { createAnswerService, type AnswerResult, type AnswerService } from './answers.js';

const citedNumbers = (answer: string) => [...new Set([...answer.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])))];

describe('extractive answers with MiniLM', () => {
  let t: TestDatabase;
  let embedder: Embedder;
  let answers: AnswerService;
  let ws: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    const db = t.handle.db;
    embedder = createMiniLmEmbedder({ cacheDir: path.join(tmpdir(), 'quarry-models') });
    const space = await activateSpace(db, embedder);
    ws = await createWorkspace(db, 'answers');
    const style = await insertDocument(
      db,
      ws,
      {
        title: 'Writing style guide',
        passages: [
          {
            text: 'Sentences\n\nStart with a capital letter, end with a period. Keep each sentence under twenty-five words.',
          },
          {
            text: 'Parts of speech\n\nNoun Verb Adjective Adverb Pronoun Preposition Conjunction Interjection Article Determiner\nThing Action Quality Manner Substitute Relation Link Exclamation Marker Quantity',
          },
        ],
      },
      embedder,
      space,
    );
    [ids.capital] = style.passageIds as [string];
    const manual = await insertDocument(
      db,
      ws,
      {
        title: 'GNU Libtasn1 manual',
        passages: [
          {
            text: 'Contents\n\n5 3.2 Invoking asn1Coding . . . . . . . . . . 12\n3.3 Invoking asn1Decoding . . . . . . . . . 13\n3.4 Invoking asn1Parser . . . . . . . . . 14',
          },
          {
            text: 'Invoking asn1Coding\n\nThe asn1Coding program encodes a value, written in an assignment file, into DER using an ASN.1 definitions file. The encoded bytes are written to a file whose name ends in .out.',
          },
          {
            text: 'Invoking asn1Parser\n\nThe asn1Parser program reads an ASN.1 definitions file and writes a C array that describes its types.',
          },
        ],
      },
      embedder,
      space,
    );
    [ids.toc, ids.coding, ids.parser] = manual.passageIds as [string, string, string];
    await insertDocument(
      db,
      ws,
      {
        title: 'Beekeeping handbook',
        passages: [{ text: 'Swarming\n\nHoney bees swarm in late spring when the colony outgrows its hive.' }],
      },
      embedder,
      space,
    );
    const search = createSearchService({ db, language: 'english', queryEmbedder: () => embedder });
    answers = createAnswerService({ search });
  }, 120_000);

  afterAll(async () => {
    await embedder?.close?.();
    await t?.dispose();
  });

  it('declines a question the documents do not cover, with closest matches and no sources', async () => {
    const result = await answers.answer({ workspaceId: ws, question: 'What is the capital of France?' });
    expect(result.answer).toMatch(/do not contain the answer/);
    expect(result.answer).not.toMatch(/\[\d+\]/);
    expect(result.answer).not.toContain('capital letter');
    expect(result.citations).toEqual([]);
    expect(result.closestMatches.length).toBeGreaterThan(0);
    for (const m of result.closestMatches) expect(Object.values(ids)).toContain(m.passageId);
  });

  it('quotes the passage that answers, not the table of contents', async () => {
    const result = await answers.answer({ workspaceId: ws, question: 'What does asn1Coding do?' });
    expect(result.answer).toMatch(/^The asn1Coding program encodes a value/);
    expect(result.answer).not.toMatch(/\. \. \./);
    expect(result.citations[0]).toMatchObject({ n: 1, passageId: ids.coding, documentTitle: 'GNU Libtasn1 manual' });
    expect(result.citations.map((c) => c.passageId)).not.toContain(ids.toc);
    expect(result.closestMatches).toEqual([]);
  });

  it('lists as sources exactly the cited passages, numbered as they appear', async () => {
    const results: AnswerResult[] = [];
    for (const question of [
      'What does asn1Coding do?',
      'Which program writes a C array describing ASN.1 types?',
      'When do honey bees swarm?',
    ]) {
      results.push(await answers.answer({ workspaceId: ws, question }));
    }
    for (const result of results) {
      const cited = citedNumbers(result.answer);
      expect(cited.length, result.answer).toBeGreaterThan(0);
      expect(cited).toEqual(cited.map((_, i) => i + 1));
      expect(result.citations.map((c) => c.n)).toEqual(cited);
      for (const c of result.citations) expect(result.answer).toContain(c.quote.split(' ').slice(0, 4).join(' '));
    }
  });
});
