/**
 * The gate's two lanes (issue 14 item 7: ingest yields to searches), against a stand-in PGlite
 * whose calls take a few event-loop turns. Order of completion only; the starvation guard runs on
 * an injected clock, so nothing here depends on how fast the machine is.
 */
import type { PGlite } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { currentLane, runInBackgroundLane } from './lanes.js';
import { PgliteGate, readOnly } from './pglite-gate.js';

/** A stand-in PGlite: each query takes `turns` event-loop turns and records its text when it ends. */
function fakePglite(turns = 3) {
  const done: string[] = [];
  const started: string[] = [];
  let inside = 0;
  let overlapped = false;
  const slow = async (text: string) => {
    started.push(text);
    if (++inside > 1) overlapped = true;
    for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    inside--;
    done.push(text);
    return { rows: [], fields: [] };
  };
  const instance = {
    query: (text: string) => slow(text),
    exec: (text: string) => slow(text).then(() => []),
    transaction: async (fn: (tx: unknown) => Promise<unknown>) => fn({ query: (text: string) => slow(text), exec: (text: string) => slow(text) }),
    close: async () => {},
  };
  return { instance: instance as unknown as PGlite, done, started, overlapped: () => overlapped };
}

function gateOn(instance: PGlite, extra: { now?: () => number; starvationMs?: number; lanes?: boolean } = {}) {
  return new PgliteGate(instance, { open: async () => instance, dir: '.', minFreeBytes: 0, floorBytes: 0, ...extra });
}

const until = async (test: () => boolean) => {
  for (let i = 0; i < 1_000 && !test(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  expect(test()).toBe(true);
};

describe('PgliteGate lanes', () => {
  it('marks background work through the async calls it starts', async () => {
    expect(currentLane()).toBe('foreground');
    const seen = await runInBackgroundLane(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentLane();
    });
    expect(seen).toBe('background');
    expect(currentLane()).toBe('foreground');
  });

  it('runs a foreground call before the background calls queued ahead of it', async () => {
    const db = fakePglite();
    const gate = gateOn(db.instance, { now: () => 0 });
    const background = runInBackgroundLane(() => Array.from({ length: 8 }, (_, i) => gate.client.query(`bg${i}`)));
    await until(() => db.started.length === 1); // bg0 holds the gate
    const foreground = gate.client.query('fg');
    await Promise.all([...background, foreground]);
    expect(db.done).toEqual(['bg0', 'fg', 'bg1', 'bg2', 'bg3', 'bg4', 'bg5', 'bg6', 'bg7']);
    expect(db.overlapped()).toBe(false);
    await gate.close();
  });

  it('keeps one FIFO with lanes off (the QUARRY_PGLITE_LANES=off switch)', async () => {
    const db = fakePglite();
    const gate = gateOn(db.instance, { now: () => 0, lanes: false });
    const background = runInBackgroundLane(() => Array.from({ length: 3 }, (_, i) => gate.client.query(`bg${i}`)));
    await until(() => db.started.length === 1);
    await Promise.all([...background, gate.client.query('fg')]);
    expect(db.done).toEqual(['bg0', 'bg1', 'bg2', 'fg']);
    await gate.close();
  });

  it('serves a background call while foreground calls keep coming (starvation guard)', async () => {
    const db = fakePglite(1);
    let clock = 0;
    const gate = gateOn(db.instance, { now: () => clock, starvationMs: 200 });
    // A foreground client that always has a call waiting; each call "takes" 50 ms on the clock.
    let foregroundCalls = 0;
    let stop = false;
    const client = async (name: string) => {
      while (!stop && foregroundCalls < 100) {
        foregroundCalls++;
        await gate.client.query(name);
        clock += 50;
      }
    };
    const clients = [client('fgA'), client('fgB')];
    await until(() => foregroundCalls >= 2);
    let servedAfter: number | undefined;
    const background = runInBackgroundLane(() => gate.client.query('bg')).then(() => {
      servedAfter = foregroundCalls;
      stop = true;
    });
    await Promise.all([background, ...clients]);
    expect(servedAfter).toBeDefined();
    // Waiting since clock ≈ 50: served once 200 ms have passed, i.e. after about four more foreground calls.
    expect(servedAfter!).toBeLessThan(12);
    expect(db.done.filter((t) => t === 'bg')).toHaveLength(1);
    await gate.close();
  });

  it('holds the gate for a whole transaction, background or not', async () => {
    const db = fakePglite();
    const gate = gateOn(db.instance, { now: () => 0 });
    const tx = runInBackgroundLane(() =>
      gate.client.transaction(async (t) => {
        await t.query('tx1');
        await t.query('tx2');
        await t.query('tx3');
      }),
    );
    await until(() => db.started.length === 1);
    await Promise.all([tx, gate.client.query('fg')]);
    expect(db.done).toEqual(['tx1', 'tx2', 'tx3', 'fg']);
    await gate.close();
  });

  it('close waits for the calls already queued in both lanes', async () => {
    const db = fakePglite();
    const gate = gateOn(db.instance, { now: () => 0 });
    void runInBackgroundLane(() => gate.client.query('bg'));
    void gate.client.query('fg');
    await gate.close();
    expect([...db.done].sort()).toEqual(['bg', 'fg']);
  });
});

describe('which statements a full disk still lets through', () => {
  it('reads, and the PREPARE and EXECUTE of a read; never a write, however it is dressed', () => {
    expect(readOnly('SELECT 1')).toBe(true);
    expect(readOnly('WITH x AS (SELECT 1) SELECT * FROM x')).toBe(true);
    expect(readOnly('SELECT 1; DELETE FROM users')).toBe(false);
    expect(readOnly("SELECT nextval('s')")).toBe(false);
    expect(readOnly('SELECT * FROM users FOR KEY SHARE')).toBe(false);
    expect(readOnly('PREPARE gate_read(text) AS SELECT id FROM users WHERE id = $1')).toBe(true);
    expect(readOnly("EXECUTE gate_read('a')")).toBe(true);
    expect(readOnly("EXECUTE GATE_READ('a')")).toBe(true);
    expect(readOnly('PREPARE gate_write(text) AS DELETE FROM users WHERE id = $1')).toBe(false);
    expect(readOnly("EXECUTE gate_write('a')")).toBe(false);
    expect(readOnly("EXECUTE gate_unknown('a')")).toBe(false);
    // The arguments of a read are still held to "writes nothing".
    expect(readOnly("EXECUTE gate_read(nextval('s'))")).toBe(false);
    expect(readOnly("EXECUTE gate_read('a'); DELETE FROM users")).toBe(false);
    // Re-preparing a name as a write takes its read status away.
    expect(readOnly('PREPARE gate_read(text) AS UPDATE users SET name = $1')).toBe(false);
    expect(readOnly("EXECUTE gate_read('a')")).toBe(false);
  });
});
