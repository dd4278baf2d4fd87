// The YAML library on first use: templates that read or write YAML are rare, and an operator
// whose templates have none never loads it (0.9 MiB of heap at idle, Node 24.21). It is the same
// CommonJS module an ES import would get.

import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

export const yaml = (): typeof Yaml => (lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
