/**
 * Time to first token of an answer in a thread, over real HTTP (SSE), from the POST to the first `delta`:
 *
 *   npx tsx bench/ask-ttft.ts            offline (extractive, MiniLM) and a fake OpenAI-compatible chat server on 127.0.0.1
 *   npx tsx bench/ask-ttft.ts --write    also write the table into docs/benchmarks.md ("Ask: time to first token")
 *
 * Each setting: a fresh server and workspace holding one manual, 3 warm-up questions, then 15 measured ones (a
 * first question and a follow-up alternating, each in its own thread, so follow-up rewriting is in the numbers).
 * The fake chat server answers at once: what is measured is Quarry's own path (retrieval, prompt, rewrite call,
 * streaming), not a model's speed.
 */
import { cpus, loadavg } from 'node:os';
import { startFakeChat } from '../test/support/fake-chat.js';
import { startTestApp, TestClient } from '../test/support/app.js';
import { readSse } from '../test/support/sse.js';
import { replaceSection } from './report.js';

const MANUAL = `# asn1Coding

asn1Coding is a command-line tool that encodes ASN.1 values into DER. It reads an ASN.1 definitions file and a file of value assignments.

## Invoking asn1Coding

asn1Coding is invoked as asn1Coding [options] definitions-file assignments-file from a shell.

# Beekeeping

A beehive is inspected every seven days in swarm season.
`;
const WARMUP = 3;
const RUNS = 15;

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};

async function measure(env: Record<string, string>) {
  const app = await startTestApp({ env: { ASK_LIMIT_PER_MINUTE: '1000', ...env }, runtime: { ingest: { pollMs: 100 } } });
  try {
    const client = new TestClient(app);
    await client.signUp('bench@example.com');
    const ws = (await client.json('POST', '/api/workspaces', { name: 'Bench' }, 201)).id as string;
    const form = new FormData();
    form.append('file', new Blob([MANUAL], { type: 'text/markdown' }), 'manual.md');
    const doc = await client.json('POST', `/api/workspaces/${ws}/documents`, form, 202);
    for (let i = 0; i < 600; i++) {
      const d = await client.json('GET', `/api/workspaces/${ws}/documents/${doc.id}`, undefined, 200);
      if (d.status === 'ready' && d.vectors.ready === d.vectors.total) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const first: number[] = [];
    const followUp: number[] = [];
    let thread = '';
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const isFollowUp = i % 2 === 1;
      if (!isFollowUp) thread = (await client.json('POST', `/api/workspaces/${ws}/threads`, {}, 201)).id;
      const question = isFollowUp ? 'and how is it invoked?' : 'What does asn1Coding do?';
      const started = performance.now();
      let ttft = 0;
      const res = await client.request('POST', `/api/workspaces/${ws}/threads/${thread}/messages`, { question }, { accept: 'text/event-stream' });
      await readSse(res, (e, ms) => {
        if (e.event === 'delta' && ttft === 0) ttft = ms;
      }, started);
      if (i >= WARMUP) (isFollowUp ? followUp : first).push(ttft);
    }
    return { first, followUp };
  } finally {
    await app.dispose();
  }
}

const chat = await startFakeChat();
chat.reply = (messages) => (messages[0]?.content.startsWith('You rewrite') ? ['How is asn1Coding invoked?'] : ['asn1Coding', ' encodes values', ' [1].']);
const rows: string[] = [];
try {
  const settings: Array<[string, Record<string, string>]> = [
    ['offline (extractive, MiniLM)', {}],
    ['fake chat server on 127.0.0.1 (generated)', { CHAT_MODEL: 'fake', CHAT_BASE_URL: chat.baseUrl, CHAT_API_KEY: 'x' }],
  ];
  for (const [name, env] of settings) {
    const { first, followUp } = await measure(env);
    rows.push(`| ${name} | ${pct(first, 50).toFixed(0)} / ${pct(first, 95).toFixed(0)} | ${pct(followUp, 50).toFixed(0)} / ${pct(followUp, 95).toFixed(0)} |`);
    console.log(rows.at(-1));
  }
} finally {
  await chat.close();
}
const table = [
  `Measured by \`npx tsx bench/ask-ttft.ts\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}): from the POST of a question in a thread to its first streamed \`delta\`, over HTTP on 127.0.0.1, PGlite; ${RUNS} questions after ${WARMUP} warm-up ones. A follow-up costs the rewrite (a chat call, or the offline term carry-over) before retrieval.`,
  '',
  '| answers | first question, ms (p50 / p95) | follow-up, ms (p50 / p95) |',
  '| --- | --- | --- |',
  ...rows,
].join('\n');
console.log(`\n${table}`);
if (process.argv.includes('--write')) replaceSection('Ask: time to first token', table);
