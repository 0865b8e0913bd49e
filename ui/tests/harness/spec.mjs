// What a spec gets: the page, the fixture's calls by name, and waiting helpers (playwright-core
// has no test runner and no auto-retrying expect).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pictures the README and reviews show, kept in the repository. */
const DOCS = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots');

export { assert };

export class Spec {
  constructor(page, url, fixture, initScript, outDir) {
    this.page = page;
    this.url = url;
    this.fixture = fixture;
    this.initScript = initScript;
    this.outDir = outDir;
    this.pageErrors = [];
    page.on('pageerror', (e) => this.pageErrors.push(e.message));
  }

  /** The recorded call named `name` (fails the spec when the fixture lacks it). */
  call(name) {
    const c = this.fixture.calls.find((x) => x.name === name);
    if (!c) throw new Error(`the fixture has no call named ${name}`);
    return c;
  }
  has(name) {
    return this.fixture.calls.some((x) => x.name === name);
  }

  /** Loads the app with the IPC mocked. `prefer` picks among calls with equal args. */
  async open({ prefer = ['app_info_demo'], slow = {} } = {}) {
    await this.page.addInitScript(this.initScript({ prefer, slow }));
    await this.page.goto(this.url);
    await this.id('status-bar').waitFor();
    await this.until(async () => (await this.id('status-store').textContent()).includes(await this.expectedDistrict(prefer)), 'store shown');
  }
  async expectedDistrict(prefer) {
    const info = this.fixture.calls.find((c) => c.cmd === 'app_info' && prefer.includes(c.name)) ?? this.call('app_info_demo');
    return info.ok.district;
  }

  id(testid) {
    return this.page.getByTestId(testid, { exact: true });
  }

  async text(testid) {
    return (await this.id(testid).first().textContent()) ?? '';
  }

  /** Retries `check` (truthy, or not throwing) until it holds or `ms` pass. */
  async until(check, what, ms = 5000) {
    const end = Date.now() + ms;
    let last;
    for (;;) {
      try {
        if (await check()) return;
        last = null;
      } catch (e) {
        last = e;
      }
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async visible(testid, ms = 5000) {
    await this.id(testid).first().waitFor({ state: 'visible', timeout: ms });
  }
  async gone(testid, ms = 5000) {
    await this.id(testid).first().waitFor({ state: 'detached', timeout: ms });
  }

  /** The text of every element with this test id, joined (all toasts, say). */
  async texts(testid) {
    return (await this.id(testid).allTextContents()).join('\n');
  }

  async count(testid) {
    return this.id(testid).count();
  }

  /** Commands the app invoked, with the recorded call each was answered with. */
  async log() {
    return this.page.evaluate(() => window.__ipc.log.slice());
  }
  async ipc(fn, ...args) {
    return this.page.evaluate(([f, a]) => window.__ipc[f](...a), [fn, args]);
  }

  /** Fails when the app invoked something the fixture did not record (first_paint is the
   * shell's own measurement and is not recorded). */
  async noMisses(allowed) {
    const misses = await this.page.evaluate(() => window.__ipc?.misses ?? []);
    const bad = misses.filter((m) => m.cmd !== 'first_paint' && !allowed.includes(m.cmd));
    if (bad.length) throw new Error(`unrecorded commands: ${bad.map((m) => `${m.cmd} ${JSON.stringify(m.args)}`).join('; ')}`);
  }

  /** A picture into tests/out/; with `docs`, also into docs/screenshots/. */
  async shot(name, { docs = false } = {}) {
    mkdirSync(this.outDir, { recursive: true });
    await this.page.waitForTimeout(150);
    const path = join(this.outDir, `${name}.png`);
    await this.page.screenshot({ path });
    if (docs) {
      mkdirSync(DOCS, { recursive: true });
      copyFileSync(path, join(DOCS, `${name}.png`));
    }
  }

  /** Formats a number as the UI does in zh-CN (3,000). */
  num(n) {
    return new Intl.NumberFormat('zh-CN').format(n);
  }
}
