// Writes crds/ from the API definitions in src/api/ (assembled by src/api/crd/). Run with
// `node --experimental-strip-types scripts/gen-crds.ts` (npm run gen:crds).
//
// src/ is written for tsc (module nodenext), so its relative imports name the emitted `.js`
// file. Node runs the `.ts` sources directly here: this resolve hook maps such a `.js`
// specifier to the `.ts` file next to it when no `.js` file exists.

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (/^\.{1,2}\/.*\.js$/.test(specifier) && context.parentURL?.startsWith('file:')) {
      const candidate = new URL(specifier, context.parentURL);
      if (!existsSync(fileURLToPath(candidate))) {
        return nextResolve(specifier.replace(/\.js$/, '.ts'), context);
      }
    }
    return nextResolve(specifier, context);
  },
});

// Imported only after the hook is in place.
const { renderCRDFiles } = await import('../src/api/crd/render.js');

const outDir = fileURLToPath(new URL('../crds/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const files = renderCRDFiles();
// Files from CRDs that no longer exist must not linger in crds/.
for (const name of readdirSync(outDir)) {
  if (!files.has(name)) rmSync(`${outDir}${name}`);
}
for (const [name, content] of files) {
  writeFileSync(`${outDir}${name}`, content);
  console.log(`wrote crds/${name} (${Buffer.byteLength(content)} bytes)`);
}
