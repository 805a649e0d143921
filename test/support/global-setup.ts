import { ensurePgliteTemplate } from './pglite-template.js';

export default async function setup() {
  await ensurePgliteTemplate();
}
