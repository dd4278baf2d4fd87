// `node --import ./scripts/ts-resolve.ts <file>.ts` runs the TypeScript sources directly
// (Node 24 strips types). src/ is written for tsc (module nodenext), so its relative imports
// name the emitted `.js` file; this hook maps such a specifier to the `.ts` file next to it.

import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (/^\.{1,2}\/.*\.js$/.test(specifier) && context.parentURL?.startsWith('file:')) {
      const candidate = new URL(specifier, context.parentURL);
      if (!existsSync(fileURLToPath(candidate)))
        return nextResolve(specifier.replace(/\.js$/, '.ts'), context);
    }
    return nextResolve(specifier, context);
  },
});
