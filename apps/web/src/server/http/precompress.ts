/**
 * Precompresses the built UI once, at build time (vite.config.ts calls it after the bundle is
 * written): `<file>.br` (brotli, quality 11) and `<file>.gz` (gzip -9) beside each text file, so
 * the server never compresses per request. A variant that does not save at least 5 % is not written.
 */
import { readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Extensions worth compressing (images and fonts are already compressed). */
export const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.svg', '.json', '.txt', '.map', '.xml', '.webmanifest', '.wasm']);

/** Files smaller than this go out as they are: the headers would outweigh the saving. */
const MIN_BYTES = 512;

function walk(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

export interface PrecompressResult {
  files: number;
  bytes: number;
  brotliBytes: number;
  gzipBytes: number;
}

export function precompressDir(dir: string): PrecompressResult {
  const result: PrecompressResult = { files: 0, bytes: 0, brotliBytes: 0, gzipBytes: 0 };
  for (const file of walk(dir)) {
    if (file.endsWith('.br') || file.endsWith('.gz')) continue;
    if (!COMPRESSIBLE.has(path.extname(file).toLowerCase())) continue;
    const size = statSync(file).size;
    if (size < MIN_BYTES) continue;
    const bytes = readFileSync(file);
    const variants: Array<[string, Buffer]> = [
      [
        '.br',
        brotliCompressSync(bytes, {
          params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: size, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
        }),
      ],
      ['.gz', gzipSync(bytes, { level: 9 })],
    ];
    result.files++;
    result.bytes += size;
    for (const [ext, compressed] of variants) {
      const target = file + ext;
      if (compressed.length <= size * 0.95) {
        writeFileSync(target, compressed);
        if (ext === '.br') result.brotliBytes += compressed.length;
        else result.gzipBytes += compressed.length;
      } else {
        // A stale variant from an earlier build must not outlive its file.
        try {
          unlinkSync(target);
        } catch {
          /* none */
        }
      }
    }
  }
  return result;
}
