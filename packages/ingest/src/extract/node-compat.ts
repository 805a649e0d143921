/**
 * pdf.js 5 moves font data with `ArrayBuffer.prototype.transferToFixedLength`
 * (ES2024: Node 22+). On Node 20 every embedded font then fails to load and
 * its text is not drawn, and a later page using the same font never finishes
 * drawing. Supplied here, in the extraction process only, for drawing pages;
 * a copy is what the built-in does when it cannot move the memory.
 */
export function ensureArrayBufferTransfer(): void {
  const proto = ArrayBuffer.prototype as ArrayBuffer & { transferToFixedLength?: (length?: number) => ArrayBuffer; transfer?: (length?: number) => ArrayBuffer };
  if (typeof proto.transferToFixedLength === 'function') return;
  const copy = function (this: ArrayBuffer, length?: number): ArrayBuffer {
    const size = length ?? this.byteLength;
    const out = new ArrayBuffer(size);
    new Uint8Array(out).set(new Uint8Array(this, 0, Math.min(size, this.byteLength)));
    return out;
  };
  Object.defineProperty(ArrayBuffer.prototype, 'transferToFixedLength', { value: copy, writable: true, configurable: true });
  if (typeof proto.transfer !== 'function') Object.defineProperty(ArrayBuffer.prototype, 'transfer', { value: copy, writable: true, configurable: true });
}
