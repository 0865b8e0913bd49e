// End-to-end specs of the UI in real Chromium (Debian's /usr/bin/chromium through
// playwright-core), against the built ui/dist, with the Tauri IPC mocked from the fixtures the
// Rust tests recorded from the real backend. Builds nothing: run `npm run build` first.
//
//   node tests/run.mjs [spec-name ...]
//
// Prints one line per spec and exits non-zero when one fails.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './harness/server.mjs';
import { Spec } from './harness/spec.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ui = join(here, '..');
const dist = join(ui, 'dist');
if (!existsSync(join(dist, 'index.html'))) {
  console.error('ui/dist is missing: run `npm run build` first');
  process.exit(2);
}

// The recorded fixture; the sample only stands in until the Rust test has written it.
const fixtureFile = ['ipc.json', 'ipc.sample.json'].map((f) => join(here, 'fixtures', f)).find(existsSync);
if (!fixtureFile) {
  console.error('no fixture: tests/fixtures/ipc.json (or ipc.sample.json) is missing');
  process.exit(2);
}
const fixture = JSON.parse(readFileSync(fixtureFile, 'utf8'));

// The ESM build of the mocks (the .cjs one needs `exports`), minus its export statement, so it
// runs as a plain script before the app.
const mocks = readFileSync(join(ui, 'node_modules/@tauri-apps/api/mocks.js'), 'utf8').replace(/^export \{[^}]*\};?\s*$/m, '');
const mockIpc = readFileSync(join(here, 'harness/mock-ipc.js'), 'utf8');
const initScript = (options) =>
  `(() => {\nconst FIXTURE = ${JSON.stringify(fixture)};\nconst OPTIONS = ${JSON.stringify(options)};\n${mocks}\n${mockIpc}\n})();`;

const wanted = process.argv.slice(2);
const specDir = join(here, 'specs');
const files = readdirSync(specDir).filter((f) => f.endsWith('.spec.mjs')).sort();
const specs = [];
for (const f of files) {
  const mod = await import(join(specDir, f));
  for (const s of mod.default) if (wanted.length === 0 || wanted.some((w) => s.name.includes(w))) specs.push(s);
}

const server = await serve(dist);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

const started = Date.now();
let failed = 0;
for (const s of specs) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1, locale: 'zh-CN' });
  const page = await context.newPage();
  const spec = new Spec(page, server.url, fixture, initScript, join(here, 'out'));
  const t0 = Date.now();
  let error = null;
  try {
    await s.run(spec);
    await spec.noMisses(s.allowMisses ?? []);
    if (spec.pageErrors.length) throw new Error(`page errors: ${spec.pageErrors.join(' | ')}`);
  } catch (e) {
    error = e;
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(2);
  if (error) {
    failed += 1;
    console.log(`✗ ${s.name}  ${secs}s\n    ${String(error.stack ?? error).split('\n').slice(0, 6).join('\n    ')}`);
    await page.screenshot({ path: join(here, 'out', `FAILED-${s.name.replace(/\W+/g, '-')}.png`) }).catch(() => {});
  } else {
    console.log(`✓ ${s.name}  ${secs}s`);
  }
  await context.close();
}
await browser.close();
await server.close();
const total = ((Date.now() - started) / 1000).toFixed(1);
console.log(`${specs.length - failed} passed, ${failed} failed, ${total}s (fixture: ${fixtureFile.split('/').pop()})`);
process.exit(failed ? 1 : 0);
