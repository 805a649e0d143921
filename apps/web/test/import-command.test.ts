/**
 * `quarry import <dir> --workspace <id>` against a real server with an API
 * key: a folder tree (with a file Quarry cannot read and a hidden one) is
 * uploaded with each file's relative path; the unreadable file is listed as
 * skipped with the server's reason; a second run uploads nothing (files
 * already there by SHA-256 are skipped); the paths are filterable. The
 * command itself runs as a child process once, for its exit code and output.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFolder, parseImportArgs, progressBar } from '../src/server/import-command.js';
import { makePptx } from '../../../test/support/format-fixtures.js';
import { repoRoot } from '../../../test/support/process.js';
import { startTestApp, TestClient, type TestApp } from '../../../test/support/app.js';

const fast = { ingest: { pollMs: 100, retryBaseMs: 20, leaseMs: 5_000 } };
const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

describe('quarry import', () => {
  let app: TestApp;
  let owner: TestClient;
  let ws: string;
  let key: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'quarry-import-'));

  beforeAll(async () => {
    app = await startTestApp({ runtime: fast });
    owner = new TestClient(app);
    await owner.signUp('importer@example.com');
    ws = (await owner.json('GET', '/api/me', undefined, 200)).workspaces[0].id;
    key = (await owner.json('POST', '/api/account/api-keys', { name: 'import' }, 201)).key;
    const put = (rel: string, data: string | Buffer) => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), data);
    };
    put('handbook/intro.md', '# Intro\n\nNew starters get a brass compass.\n');
    put('handbook/policies/leave.txt', 'Leave requests go to the lighthouse office.');
    put('decks/kickoff.pptx', makePptx([{ title: 'Kick-off', body: ['The marmalade budget is approved'] }]));
    put('decks/diagram.gif', Buffer.from('GIF89a\x10\x00\x10\x00', 'latin1'));
    put('.git/config', '[core]');
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await app?.dispose();
  });

  const args = () => {
    const parsed = parseImportArgs([dir, '--workspace', ws, '--url', app.url], { QUARRY_API_KEY: key });
    if (!parsed.ok) throw new Error(parsed.message);
    return parsed.args;
  };

  it('uploads the tree with relative paths, skips the unreadable file with its reason, and ignores hidden folders', async () => {
    const report = await importFolder(args(), { out: quiet });
    expect(report.uploaded.sort()).toEqual(['decks/kickoff.pptx', 'handbook/intro.md', 'handbook/policies/leave.txt']);
    expect(report.skipped).toEqual([{ path: 'decks/diagram.gif', reason: expect.stringMatching(/^415 Unsupported file: the file is a GIF image/) }]);
    expect(report.failed).toEqual([]);
    const handbook = await owner.json('GET', `/api/workspaces/${ws}/documents?path=handbook`, undefined, 200);
    expect(handbook.items.map((d: any) => d.path).sort()).toEqual(['handbook/intro.md', 'handbook/policies/leave.txt']);
  });

  it('is resumable: a second run finds everything already there and uploads nothing', async () => {
    const report = await importFolder(args(), { out: quiet });
    expect(report.uploaded).toEqual([]);
    expect(report.alreadyThere.sort()).toEqual(['decks/kickoff.pptx', 'handbook/intro.md', 'handbook/policies/leave.txt']);
    expect(report.skipped.map((s) => s.path)).toEqual(['decks/diagram.gif']);
  });

  it('refuses bad arguments with a message, and stops at the first refused key', async () => {
    expect(parseImportArgs([dir, '--workspace', 'nope'], { QUARRY_API_KEY: key })).toMatchObject({ ok: false, message: expect.stringContaining('--workspace') });
    expect(parseImportArgs([dir, '--workspace', ws], {})).toMatchObject({ ok: false, message: expect.stringContaining('QUARRY_API_KEY') });
    expect(parseImportArgs([dir, '--bogus'], { QUARRY_API_KEY: key })).toMatchObject({ ok: false, message: expect.stringContaining('unknown option --bogus') });
    await expect(importFolder({ ...args(), apiKey: 'qry_not-a-real-key' }, { out: quiet })).rejects.toThrow(/listing the workspace's documents failed: 401/);
  });

  it('draws a progress bar on a terminal', () => {
    const written: string[] = [];
    const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const bar = progressBar(tty, 4);
    bar.step('a.md', 'added');
    bar.step('b.md', 'present');
    expect(written[1]).toMatch(/^\r\[#{15}\.{15}\] 2\/4 present/);
  });

  it('runs as `quarry import` (exit 0, a summary line)', async () => {
    const require = createRequire(import.meta.url);
    const tsx = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist/esm/index.mjs')).href;
    const cli = path.join(repoRoot, 'apps/web/src/server/cli.ts');
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--import', tsx, cli, 'import', dir, '--workspace', ws, '--url', app.url],
        { env: { PATH: process.env.PATH, QUARRY_API_KEY: key }, timeout: 60_000 },
        (error, out) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: out }),
      ),
    );
    expect(code).toBe(0);
    expect(stdout).toContain('uploaded 0, already there 3, skipped 1, failed 0');
    expect(stdout).toContain('skipped decks/diagram.gif: 415 Unsupported file: the file is a GIF image');
  });
});
