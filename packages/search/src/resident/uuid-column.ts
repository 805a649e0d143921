/**
 * Passage ids held as 16 bytes each instead of one JavaScript string each
 * (about 56 bytes with its header): at a million passages the difference is
 * some 40 MB of heap. Ids are turned back into text only for the few results
 * a query returns.
 */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}

export class UuidColumn {
  private bytes: Uint8Array;
  private count = 0;

  constructor(capacity = 1024) {
    this.bytes = new Uint8Array(Math.max(1, capacity) * 16);
  }

  get length(): number {
    return this.count;
  }

  push(id: string): void {
    if (id.length !== 36) throw new Error(`not a UUID: ${JSON.stringify(id)}`);
    if ((this.count + 1) * 16 > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    let at = this.count * 16;
    for (let i = 0; i < 36; ) {
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (id.charCodeAt(i) !== 45) throw new Error(`not a UUID: ${JSON.stringify(id)}`);
        i++;
        continue;
      }
      const hi = hexValue(id.charCodeAt(i));
      const lo = hexValue(id.charCodeAt(i + 1));
      if (hi < 0 || lo < 0) throw new Error(`not a UUID: ${JSON.stringify(id)}`);
      this.bytes[at++] = (hi << 4) | lo;
      i += 2;
    }
    this.count++;
  }

  /** The id at `index`, lower case, as PostgreSQL prints a uuid. */
  get(index: number): string {
    if (index < 0 || index >= this.count) throw new RangeError(`no id at ${index}`);
    const b = this.bytes;
    const o = index * 16;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX[b[o + i]!];
    }
    return s;
  }

  /** Drops unused capacity once the column is complete. */
  trim(): void {
    if (this.bytes.length > this.count * 16) this.bytes = this.bytes.slice(0, Math.max(1, this.count) * 16);
  }
}
