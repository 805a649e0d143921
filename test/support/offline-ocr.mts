// Runs OCR on the image file given, in a process that has the network guard preloaded (see ocr.test.ts).
import { readFileSync } from 'node:fs';
import { extractDocument } from '../../packages/ingest/src/extract/index.js';

const [file, mime] = process.argv.slice(2);
const out = await extractDocument(readFileSync(file!), mime!);
process.stdout.write(JSON.stringify(out.blocks.map((b) => b.text).join(' ')));
