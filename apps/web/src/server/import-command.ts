/**
 * `quarry import <dir> --workspace <id>`: uploads a folder tree to a running
 * Quarry over its HTTP API, with an API key (QUARRY_API_KEY, or --api-key-stdin).
 * Each file keeps its path relative to <dir> as the document's path.
 *
 * Resumable: the workspace's documents are listed first and a file whose
 * SHA-256 is already there is skipped, so a second run after an interruption
 * uploads only what is missing. Files Quarry cannot read are listed as
 * skipped with the server's reason (415), not counted as failures.
 *
 * Talks only to the given server; never reads the database or the config.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const usage = `Usage: quarry import <dir> --workspace <id> [--url <base URL>] [--api-key-stdin] [--dry-run]

Uploads every file under <dir> (hidden files and folders skipped) to the workspace, keeping each
file's path relative to <dir>. Files already in the workspace (same SHA-256) are skipped, so the
command can be run again after an interruption. The API key comes from QUARRY_API_KEY, or from
standard input with --api-key-stdin. --url defaults to QUARRY_URL, then http://127.0.0.1:2000.`;

/** Files visited at most, and folder depth: a bound on what one run walks. */
const MAX_FILES = 100_000;
const MAX_DEPTH = 64;

const Args = z.object({
  dir: z.string().min(1, 'give the folder to import'),
  workspace: z.uuid('--workspace: give the workspace id (a UUID, shown in Settings)'),
  url: z.url('--url: give the server base URL, e.g. http://127.0.0.1:2000'),
  apiKey: z.string().min(8, 'set QUARRY_API_KEY (or pass --api-key-stdin) to an API key of an editor of the workspace'),
  dryRun: z.boolean(),
});
type Args = z.infer<typeof Args>;

const DocumentList = z.object({ items: z.array(z.object({ sha256: z.string() })), nextCursor: z.string().nullable() });
const ErrorBody = z.object({ error: z.object({ code: z.string().optional(), message: z.string() }) }).partial();

export interface ImportFile {
  absolute: string;
  /** Relative to the imported folder, `/`-separated: the document's path. */
  relative: string;
  size: number;
}

export interface ImportReport {
  uploaded: string[];
  alreadyThere: string[];
  skipped: Array<{ path: string; reason: string }>;
  failed: Array<{ path: string; reason: string }>;
}

/** Every regular file under `root`, in a stable order; symbolic links and hidden entries are not followed. */
export async function listFiles(root: string): Promise<ImportFile[]> {
  const out: ImportFile[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH) return;
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (out.length >= MAX_FILES) return;
      if (entry.name.startsWith('.')) continue;
      const absolute = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(absolute, depth + 1);
      else if (entry.isFile()) {
        const { size } = await lstat(absolute);
        out.push({ absolute, relative: path.relative(root, absolute).split(path.sep).join('/'), size });
      }
    }
  };
  await walk(root, 0);
  return out;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A one-line progress bar on a terminal (redrawn in place); one line per file otherwise. */
export function progressBar(stream: NodeJS.WriteStream, total: number) {
  const width = 30;
  let done = 0;
  return {
    step(label: string, outcome: string) {
      done++;
      if (stream.isTTY) {
        const filled = Math.round((done / Math.max(1, total)) * width);
        const name = label.length > 40 ? `…${label.slice(-39)}` : label;
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${outcome.padEnd(9)} ${name.padEnd(40)}`);
        if (done === total) stream.write('\n');
      } else stream.write(`${done}/${total} ${outcome} ${label}\n`);
    },
  };
}

async function existingHashes(args: Args, request: typeof fetch): Promise<Set<string>> {
  const seen = new Set<string>();
  let cursor: string | null = null;
  // Bounded: a page per 100 documents, and no workspace holds more than this many pages in one run.
  for (let page = 0; page < 100_000; page++) {
    const query: string = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await request(`${args.url}/api/workspaces/${args.workspace}/documents?${query}`, { headers: { 'x-api-key': args.apiKey } });
    if (!res.ok) throw new Error(`listing the workspace's documents failed: ${await reason(res)}`);
    const body = DocumentList.parse(await res.json());
    for (const d of body.items) seen.add(d.sha256);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return seen;
}

async function reason(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = ErrorBody.parse(JSON.parse(text));
    if (parsed.error?.message) return `${res.status} ${parsed.error.message}`;
  } catch {
    // not JSON: the status alone
  }
  return `${res.status} ${res.statusText}`;
}

/** Runs the import; `request` is fetch (replaceable in tests). */
export async function importFolder(args: Args, options: { request?: typeof fetch; out?: NodeJS.WriteStream } = {}): Promise<ImportReport> {
  const request = options.request ?? fetch;
  const out = options.out ?? process.stderr;
  const files = await listFiles(args.dir);
  const have = await existingHashes(args, request);
  const report: ImportReport = { uploaded: [], alreadyThere: [], skipped: [], failed: [] };
  const bar = progressBar(out, files.length);
  for (const file of files) {
    const sha = await sha256Of(file.absolute);
    if (have.has(sha)) {
      report.alreadyThere.push(file.relative);
      bar.step(file.relative, 'present');
      continue;
    }
    if (args.dryRun) {
      report.uploaded.push(file.relative);
      bar.step(file.relative, 'would add');
      continue;
    }
    const form = new FormData();
    // The path first: the server reads fields as they come.
    form.append('path', file.relative);
    form.append('file', new Blob([new Uint8Array(await readFile(file.absolute))]), path.basename(file.absolute));
    let res: Response;
    try {
      res = await request(`${args.url}/api/workspaces/${args.workspace}/documents`, { method: 'POST', headers: { 'x-api-key': args.apiKey }, body: form });
    } catch (error) {
      report.failed.push({ path: file.relative, reason: (error as Error).message });
      bar.step(file.relative, 'failed');
      continue;
    }
    if (res.status === 202) {
      await res.arrayBuffer();
      have.add(sha);
      report.uploaded.push(file.relative);
      bar.step(file.relative, 'added');
    } else if (res.status === 409) {
      await res.arrayBuffer();
      report.alreadyThere.push(file.relative);
      bar.step(file.relative, 'present');
    } else if (res.status === 415 || res.status === 413) {
      report.skipped.push({ path: file.relative, reason: await reason(res) });
      bar.step(file.relative, 'skipped');
    } else {
      report.failed.push({ path: file.relative, reason: await reason(res) });
      bar.step(file.relative, 'failed');
      // A key that is refused is refused for every file: stop rather than repeat it thousands of times.
      if (res.status === 401 || res.status === 403 || res.status === 404) break;
    }
  }
  return report;
}

/** Parses `argv` (after `import`) and the environment into checked arguments, or a message for the user. */
export function parseImportArgs(argv: string[], env: NodeJS.ProcessEnv, stdinKey?: string): { ok: true; args: Args } | { ok: false; message: string } {
  let dir: string | undefined;
  let workspace: string | undefined;
  let url = env.QUARRY_URL || 'http://127.0.0.1:2000';
  let dryRun = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--workspace') workspace = argv[++i];
    else if (a === '--url') url = argv[++i] ?? '';
    else if (a === '--dry-run') dryRun = true;
    else if (a === '--api-key-stdin') continue;
    else if (a.startsWith('--')) return { ok: false, message: `unknown option ${a}\n\n${usage}` };
    else if (dir === undefined) dir = a;
    else return { ok: false, message: `one folder at a time (got "${dir}" and "${a}")\n\n${usage}` };
  }
  const parsed = Args.safeParse({ dir, workspace, url: url.replace(/\/+$/, ''), apiKey: stdinKey ?? env.QUARRY_API_KEY ?? '', dryRun });
  if (!parsed.success) return { ok: false, message: `${parsed.error.issues[0]?.message ?? 'invalid arguments'}\n\n${usage}` };
  return { ok: true, args: parsed.data };
}

export async function runImportCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    return 0;
  }
  let stdinKey: string | undefined;
  if (argv.includes('--api-key-stdin')) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    stdinKey = Buffer.concat(chunks).toString('utf8').trim();
  }
  // eslint-disable-next-line no-restricted-properties -- a client's own inputs (QUARRY_URL, QUARRY_API_KEY), not the server's configuration
  const parsed = parseImportArgs(argv, process.env, stdinKey);
  if (!parsed.ok) {
    console.error(`quarry import: ${parsed.message}`);
    return 2;
  }
  const stat = await lstat(parsed.args.dir).catch(() => undefined);
  if (!stat?.isDirectory()) {
    console.error(`quarry import: ${parsed.args.dir} is not a folder`);
    return 2;
  }
  const report = await importFolder(parsed.args);
  console.log(
    `${parsed.args.dryRun ? 'would upload' : 'uploaded'} ${report.uploaded.length}, already there ${report.alreadyThere.length}, skipped ${report.skipped.length}, failed ${report.failed.length}`,
  );
  for (const s of report.skipped) console.log(`skipped ${s.path}: ${s.reason}`);
  for (const f of report.failed) console.log(`failed ${f.path}: ${f.reason}`);
  return report.failed.length > 0 ? 1 : 0;
}
