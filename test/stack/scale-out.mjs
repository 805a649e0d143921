// The HTTP side of the stack's scale-out check (test/stack/lib/scale.sh drives Docker around it).
// Talks to Caddy exactly as a client on the host would: TLS verified against Caddy's internal root
// CA, DOMAIN resolved to the bind IP. Every loop is bounded in count and time; one JSON line out.
//
//   node scale-out.mjs <domain> <bind-ip> <root.crt> <state.json> setup <email> <password>
//   node scale-out.mjs … upload <count> <tag>          upload <count> generated documents, print ids and bytes
//   node scale-out.mjs … wait-ready <seconds> <ids…>   until every id is ready (or failed/timeout)
//   node scale-out.mjs … load <seconds> <concurrency>  searches until the time is up: count, failures, p50/p95
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';

const [domain, bindIp, caPath, statePath, phase, ...args] = process.argv.slice(2);
const ca = readFileSync(caPath);
const agent = new https.Agent({ keepAlive: true, maxSockets: 16, ca });
const origin = `https://${domain}`;
const state = (() => {
  try {
    return JSON.parse(readFileSync(statePath, 'utf8'));
  } catch {
    return {};
  }
})();

/** One request through Caddy: status, body text, headers; never throws (status 0 on a network error). */
function request(method, path, { body, headers = {} } = {}) {
  return new Promise((resolve) => {
    const req = https.request(
      { host: bindIp, port: 443, servername: domain, method, path, agent, timeout: 30_000, headers: { host: domain, origin, ...headers } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', (e) => resolve({ status: 0, text: String(e), headers: {} }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, text: String(e.message), headers: {} }));
    if (body) req.write(body);
    req.end();
  });
}
const json = (r) => {
  try {
    return JSON.parse(r.text);
  } catch {
    return undefined;
  }
};
const keyed = (extra = {}) => ({ 'x-api-key': state.key, ...extra });
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const fail = (o) => {
  out({ ok: false, ...o });
  process.exit(1);
};

// A document of ~`words` words about one topic, distinct per (tag, i), so every one is ingested (no duplicates).
const TOPICS = ['granite quarry blasting', 'basalt column cooling', 'marble polishing grit', 'slate roof tiles', 'limestone kiln lime', 'sandstone erosion wind'];
function documentText(tag, i, words = 2000) {
  const topic = TOPICS[i % TOPICS.length];
  const lines = [`# ${topic} report ${tag}-${i}`, ''];
  let n = 0;
  for (let s = 0; n < words; s++) {
    if (s % 12 === 0) lines.push('', `## Section ${s / 12 + 1} of ${topic}`, '');
    const sentence = `In survey ${tag}-${i}-${s} the ${topic} crew measured sample ${s * 7 + i} and noted ${['dust', 'water', 'cracks', 'yield', 'noise', 'heat'][s % 6]} levels near bench ${s % 9}.`;
    lines.push(sentence);
    n += sentence.split(' ').length;
  }
  return `${lines.join('\n')}\n`;
}

function multipart(name, text) {
  const boundary = `----quarry${Math.random().toString(16).slice(2)}`;
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/markdown\r\n\r\n`),
    Buffer.from(text),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) } };
}

async function setup(email, password) {
  let r = await request('POST', '/api/auth/sign-up/email', { body: JSON.stringify({ email, password, name: 'Scale Test' }), headers: { 'content-type': 'application/json' } });
  if (r.status !== 200) fail({ phase, step: 'sign-up', status: r.status, body: r.text.slice(0, 200) });
  const cookie = [].concat(r.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  r = await request('POST', '/api/workspaces', { body: JSON.stringify({ name: 'Scale-out' }), headers: { 'content-type': 'application/json', cookie } });
  if (r.status !== 201) fail({ phase, step: 'workspace', status: r.status });
  const ws = json(r).id;
  r = await request('POST', '/api/account/api-keys', { body: JSON.stringify({ name: 'scale-out', workspaceId: ws }), headers: { 'content-type': 'application/json', cookie } });
  if (r.status !== 201) fail({ phase, step: 'api key', status: r.status, body: r.text.slice(0, 200) });
  Object.assign(state, { ws, key: json(r).key, cookie, email, password });
  writeFileSync(statePath, JSON.stringify(state));
  out({ ok: true, ws });
}

async function upload(count, tag) {
  const ids = [];
  let bytes = 0;
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const text = documentText(tag, i);
    const { body, headers } = multipart(`${tag}-${i}.md`, text);
    const r = await request('POST', `/api/workspaces/${state.ws}/documents`, { body, headers: keyed(headers) });
    if (r.status !== 202 && r.status !== 201) fail({ phase, step: `upload ${i}`, status: r.status, body: r.text.slice(0, 200) });
    ids.push(json(r).id);
    bytes += Buffer.byteLength(text);
  }
  out({ ok: true, ids, bytes, uploadMs: Date.now() - started, startedAt: started });
}

async function waitReady(seconds, ids) {
  const deadline = Date.now() + seconds * 1000;
  const started = Date.now();
  const status = new Map(ids.map((id) => [id, 'queued']));
  while (Date.now() < deadline) {
    const pending = ids.filter((id) => !['ready', 'failed'].includes(status.get(id)));
    if (pending.length === 0) break;
    for (const id of pending) {
      const r = await request('GET', `/api/workspaces/${state.ws}/documents/${id}`, { headers: keyed() });
      if (r.status === 200) status.set(id, json(r).status);
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  const counts = {};
  for (const s of status.values()) counts[s] = (counts[s] ?? 0) + 1;
  out({ ok: counts.ready === ids.length, counts, ms: Date.now() - started, finishedAt: Date.now() });
}

async function load(seconds, concurrency) {
  const queries = ['granite blasting dust', 'basalt cooling cracks', 'marble grit yield', 'slate roof water', 'limestone kiln heat', 'sandstone wind erosion noise'];
  const until = Date.now() + seconds * 1000;
  const latencies = [];
  const failures = [];
  let n = 0;
  const one = async () => {
    while (Date.now() < until && n < 20_000) {
      const q = queries[n++ % queries.length];
      const t = process.hrtime.bigint();
      const r = await request('GET', `/api/workspaces/${state.ws}/search?q=${encodeURIComponent(q)}&limit=10`, { headers: keyed() });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (r.status === 200) latencies.push(ms);
      else failures.push({ status: r.status, at: Date.now(), body: r.text.slice(0, 120) });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 10) / 10 : null);
  out({ ok: failures.length === 0, requests: latencies.length + failures.length, failures: failures.length, firstFailures: failures.slice(0, 3), p50: pct(0.5), p95: pct(0.95), perSecond: Math.round(((latencies.length + failures.length) / seconds) * 10) / 10 });
}

const handlers = {
  setup: () => setup(args[0], args[1]),
  upload: () => upload(Number(args[0]), args[1]),
  'wait-ready': () => waitReady(Number(args[0]), args.slice(1)),
  load: () => load(Number(args[0]), Number(args[1])),
};
if (!handlers[phase]) fail({ error: `unknown phase ${phase}` });
await handlers[phase]();
agent.destroy();
