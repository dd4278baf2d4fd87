// The runner of the golden files recorded from Go (golden-sprig.test.ts, golden-edges.test.ts):
// each case renders and must print Go's output, or fail as Go failed.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TemplateError, renderTemplate } from '../index.js';

export interface GoldenCase {
  tpl: string;
  data?: Record<string, unknown>;
  out?: string;
  err?: 'TemplateParse' | 'TemplateExec';
  /** A substring of Syncret's message (Go's reason, without any echoed input). */
  msg?: string;
  /** Go's message, for the record. */
  go?: string;
}

export function runGoldenCases(title: string, cases: Record<string, GoldenCase>): void {
  // Go ran with TZ=UTC: `date`, `toDate` and the other Local-zone functions see UTC here too.
  let savedTZ: string | undefined;
  beforeAll(() => {
    savedTZ = process.env.TZ;
    process.env.TZ = 'UTC';
  });
  afterAll(() => {
    if (savedTZ === undefined) delete process.env.TZ;
    else process.env.TZ = savedTZ;
  });

  describe(title, () => {
    it.each(Object.entries(cases))('%s', (_name, c) => {
      const run = (): string => renderTemplate('t', c.tpl, c.data ?? {});
      if (!c.err) {
        expect(run()).toBe(c.out);
        return;
      }
      let caught: unknown;
      try {
        run();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TemplateError);
      expect((caught as TemplateError).reason).toBe(c.err);
      if (c.msg !== undefined) expect((caught as TemplateError).message).toContain(c.msg);
    });
  });
}
