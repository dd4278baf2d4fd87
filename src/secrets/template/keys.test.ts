import { describe, expect, it } from '@jest/globals';
import { createPrivateKey } from 'node:crypto';
import { costlyMs, disableCostPacing, enableCostPacing } from './cost.js';
import { renderTemplate } from './index.js';
import { newKey, withKeysOffLoop } from './keys.js';

const modulusBits = (pem: string): number | undefined =>
  createPrivateKey(pem).asymmetricKeyDetails?.modulusLength;

describe('withKeysOffLoop', () => {
  it('renders a template without keys once', async () => {
    let renders = 0;
    const out = await withKeysOffLoop(() => {
      renders++;
      return renderTemplate('t', '{{ .a | upper }}', { a: 'x' });
    });
    expect(out).toBe('X');
    expect(renders).toBe(1);
  });

  it("makes a template's RSA-4096 key in the thread pool, never in place, and never returns the placeholder", async () => {
    const inPlace = costlyMs();
    let renders = 0;
    const render = () =>
      withKeysOffLoop(() => {
        renders++;
        return renderTemplate('t', '{{ genPrivateKey "rsa" }}', {});
      });
    const first = await render();
    // The first sync also made the placeholder; it renders twice (stopped, then with its key).
    expect(renders).toBe(2);
    expect(modulusBits(first)).toBe(4096);
    renders = 0;
    const second = await render();
    expect(renders).toBe(2);
    expect(second).not.toBe(first);
    expect(modulusBits(second)).toBe(4096);
    expect(costlyMs()).toBe(inPlace);
  }, 60_000);

  it('hands a pass its keys in the order asked: three certificates, three distinct keys', async () => {
    const out = await withKeysOffLoop(() =>
      renderTemplate(
        't',
        '{{ range list "a" "b" "c" }}{{ (genSelfSignedCert . nil nil 1).Key }}|{{ end }}',
        {},
      ),
    );
    const keys = out.split('|').filter(Boolean);
    expect(keys).toHaveLength(3);
    expect(new Set(keys).size).toBe(3);
    for (const k of keys) expect(modulusBits(k)).toBe(2048);
  }, 60_000);

  it('makes the keys in place once a template keeps asking for more than the last pass', async () => {
    const inPlace = costlyMs();
    let n = 0;
    const out = await withKeysOffLoop(() => {
      n++;
      // One more key each pass, as a template with keys behind a random choice might.
      return Array.from({ length: n }, () => newKey('rsa2048')).length;
    });
    expect(out).toBe(4);
    expect(costlyMs()).toBeGreaterThan(inPlace);
  }, 60_000);

  it("keeps the render's budget across passes: keys made off the loop still count", async () => {
    await expect(
      withKeysOffLoop(() => renderTemplate('t', '{{ range until 3 }}{{ genPrivateKey "rsa" }}{{ end }}', {})),
    ).rejects.toThrow(/key generation, bcrypt and scrypt calls exceed their budget/);
  }, 60_000);

  it('draws the pace once: what a dropped pass spent on bcrypt goes back', async () => {
    // A stopped clock: no refill, 1,000 units. Six bcrypt (480) and a certificate (50) fit once,
    // not twice.
    enableCostPacing(() => 0);
    try {
      const out = await withKeysOffLoop(() =>
        renderTemplate(
          't',
          '{{ range until 6 }}{{ bcrypt "x" | len }}{{ end }}{{ (genSelfSignedCert "c" nil nil 1).Cert | len }}',
          {},
        ),
      );
      expect(out).toMatch(/^(60){6}\d+$/);
    } finally {
      disableCostPacing();
    }
  }, 60_000);

  it('makes keys in place outside a sync (offline commands), within the cost budget', () => {
    const inPlace = costlyMs();
    expect(modulusBits(renderTemplate('t', '{{ (genSelfSignedCert "x" nil nil 1).Key }}', {}))).toBe(2048);
    expect(costlyMs()).toBeGreaterThan(inPlace);
  });
});
