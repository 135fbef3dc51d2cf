/**
 * What the browser specs share: the demo built (scripts/build-demo.ts), its two servers (with and
 * without the cross-origin-isolation headers) on free ports of 127.0.0.1, and Debian's Chromium
 * driven headless by playwright-core (nothing downloads a browser; as root it needs --no-sandbox).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { startDemoServer, type DemoServer } from '../scripts/serve-demo.ts';

/** Debian's chromium package puts its launcher here. */
export const CHROMIUM = '/usr/bin/chromium';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Builds the demo (the MNIST asset only when missing; the rest takes a second or two). */
export const buildDemo = (): void => {
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-demo.ts'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
};

/** The demo served twice, and a browser. */
export interface Harness {
  readonly isolated: DemoServer;
  readonly plain: DemoServer;
  readonly browser: Browser;
  readonly close: () => Promise<void>;
}

/** Starts both servers and Chromium; refuses clearly when Chromium is not installed. */
export const startHarness = async (): Promise<Harness> => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)`);
  const isolated = await startDemoServer({ isolated: true });
  const plain = await startDemoServer({ isolated: false });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  return {
    isolated, plain, browser,
    close: async () => { await browser.close(); await isolated.close(); await plain.close(); },
  };
};

/** A page on `url` that records console errors (its own and its workers') and uncaught exceptions, ready once the kernels and MNIST are. */
export const openDemo = async (browser: Browser, url: string): Promise<{ readonly page: Page; readonly errors: string[] }> => {
  const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
  const errors: string[] = [];
  const onConsole = (where: string) => (m: ConsoleMessage): void => { if (m.type() === 'error') errors.push(`${where}: ${m.text()}`); };
  page.on('console', onConsole('page'));
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  page.on('worker', (w) => w.on('console', onConsole(`worker ${w.url()}`)));
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"], #error[data-message]', { timeout: 60_000 });
  return { page, errors };
};

/** A data attribute of an element, or '' when it has none. */
export const dataOf = async (page: Page, selector: string, name: string): Promise<string> =>
  (await page.getAttribute(selector, `data-${name}`)) ?? '';
