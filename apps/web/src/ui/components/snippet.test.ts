import { describe, expect, it } from 'vitest';
import { snippetParts, unescapeHtml } from './snippet.js';

describe('snippets', () => {
  it('turns <mark> into marked parts and leaves every other tag as text', () => {
    const parts = snippetParts('a &lt;script&gt;<mark>alert</mark>(&quot;x&quot;)&lt;/script&gt; &amp; <mark>b</mark>');
    expect(parts).toEqual([
      { text: 'a <script>', marked: false },
      { text: 'alert', marked: true },
      { text: '("x")</script> & ', marked: false },
      { text: 'b', marked: true },
    ]);
  });

  it('decodes numeric entities and keeps unknown ones as they are', () => {
    expect(unescapeHtml('&#39;&#x27;&#8364;&bogus;')).toBe("''€&bogus;");
  });

  it('a raw tag in a snippet stays text', () => {
    expect(snippetParts('<img src=x onerror=alert(1)>')).toEqual([
      { text: '<img src=x onerror=alert(1)>', marked: false },
    ]);
  });
});
