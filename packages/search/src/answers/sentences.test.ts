import { describe, expect, it } from 'vitest';
import {
  candidateSentences,
  findFurniture,
  furnitureKey,
  isTableFragment,
  isTocLine,
  splitSentences,
} from './sentences.js';

describe('table-of-contents lines', () => {
  it('recognises dot leaders and numbered entries ending in a page number', () => {
    for (const line of [
      '5 3.2 Invoking asn1Coding . . . . . . . . . . . . 12',
      '3.3 Invoking asn1Decoding ............ 13',
      'Appendix A Copying conditions …… 41',
      'Signature ____________',
      '3.2 Invoking asn1Coding 12',
      'Chapter 4 Results 37',
    ]) {
      expect(isTocLine(line), line).toBe(true);
    }
  });

  it('leaves prose alone, numbers and ellipses included', () => {
    for (const line of [
      'The asn1Coding program encodes a value described in a text file into DER.',
      'Version 3.2 added support for 12 new types.',
      'Wait... then try again.',
      'In 2014 the library moved to version 4.',
    ]) {
      expect(isTocLine(line), line).toBe(false);
    }
  });
});

describe('table fragments', () => {
  it('recognises rows with separators, columns of spaces, numbers or no function words', () => {
    for (const line of [
      '| Noun | Verb | Adjective |',
      'Name\tType\tDefault',
      'Name     Type     Default',
      '12.5 13.0 14.2 15.9 16.1',
      'Noun Verb Adjective Adverb Pronoun Preposition Conjunction Interjection Article Determiner',
    ]) {
      expect(isTableFragment(line), line).toBe(true);
    }
  });

  it('leaves sentences alone', () => {
    expect(isTableFragment('Start with a capital letter and end the sentence with a period.')).toBe(false);
    expect(isTableFragment('Treat the hive in autumn, after the honey harvest is complete, with oxalic acid.')).toBe(
      false,
    );
  });
});

describe('page furniture', () => {
  it('finds running headers and footers repeated across passages, whatever the page number', () => {
    const pages = [
      'GNU Libtasn1 Reference Manual\nThe parser reads a definitions file. It builds a tree of nodes.\nPage 3',
      'GNU Libtasn1 Reference Manual\nEncoding writes DER bytes for a value.\nChapter 3: Utilities 14',
      'Decoding reads DER bytes back into a tree.\nChapter 3: Utilities 15',
    ];
    const furniture = findFurniture(pages);
    expect(furniture.has(furnitureKey('GNU Libtasn1 Reference Manual'))).toBe(true);
    expect(furniture.has(furnitureKey('Chapter 3: Utilities 99'))).toBe(true);
    // Prose repeated by chunk overlap is not furniture.
    expect(
      findFurniture(['Encoding writes DER bytes for a value.', 'Encoding writes DER bytes for a value.']).size,
    ).toBe(0);
    const texts = candidateSentences(pages).map((c) => c.text);
    expect(texts).toEqual([
      'The parser reads a definitions file.',
      'It builds a tree of nodes.',
      'Encoding writes DER bytes for a value.',
      'Decoding reads DER bytes back into a tree.',
    ]);
  });
});

describe('candidate sentences', () => {
  it('keeps prose and list items, drops headings, contents lines, page marks and table rows', () => {
    const passage = [
      'Invoking asn1Coding',
      '5 3.2 Invoking asn1Coding . . . . . . . . . . 12 3.3 Invoking asn1Decoding . . . . . . 13',
      'asn1Coding reads a value from an assignment file and encodes it with DER. Its output goes to a file named after the input.',
      '- Use the -o option to choose the output file name.',
      '| Option | Meaning |',
      '12',
    ].join('\n');
    expect(candidateSentences([passage]).map((c) => c.text)).toEqual([
      'asn1Coding reads a value from an assignment file and encodes it with DER.',
      'Its output goes to a file named after the input.',
      'Use the -o option to choose the output file name.',
    ]);
  });

  it('numbers sentences by passage and position', () => {
    const out = candidateSentences([
      'First sentence of the passage. Second sentence of the passage.',
      'Only sentence of another passage.',
    ]);
    expect(out.map((c) => [c.passage, c.position])).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
    ]);
  });

  it('splits after closing quotes too', () => {
    expect(splitSentences('He said "stop." Then he left the room.')).toEqual([
      'He said "stop."',
      'Then he left the room.',
    ]);
  });
});
