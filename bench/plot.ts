// `npm run bench:plot -- bench/results/<run>.json`: draws the pictures of a recorded run again
// (bench/lib/plots.ts), next to its JSON as <run>-<picture>.svg. `npm run bench` does this itself.

import { readFileSync } from 'node:fs';
import type { ScenarioResult } from './lib/context.js';
import { writePictures } from './lib/plots.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run bench:plot -- bench/results/<run>.json ...');
  process.exit(2);
}
for (const file of files) {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { results?: ScenarioResult[] };
  const written = await writePictures(file, doc.results ?? []);
  console.log(
    written.length > 0 ? written.join('\n') : `${file}: no curves recorded (a run before 2026-12-02?)`,
  );
}
