import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CHROMIUM_PATH, chromiumMissingMessage, launchChromium } from './browser';
import { startStaticServer } from './static-server';
import { captureSnapshot, writeDump } from './warm-start-seed';

export default async function setup(project: TestProject): Promise<() => void> {
  if (!existsSync(CHROMIUM_PATH)) {
    console.error('\n' + chromiumMissingMessage() + '\n');
    throw new Error('Chromium missing');
  }
  if (!existsSync('dist/index.html')) {
    throw new Error('dist/ is missing: run `npm run build` before the E2E tests (npm test does it for you).');
  }
  // The library build (dist-lib/, what embedders get) for the widget tests: made once here, not by
  // each file (files run two at a time, and two builds into one folder would clobber each other).
  execFileSync('npx', ['vite', 'build', '-c', 'vite.lib.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });

  // The warm-start snapshot the helpers write into each fresh context (warm-start-seed.ts): the
  // built app's own, made by booting it once here.
  // L0_E2E_COLD=1 turns it off: every context then starts Python as on a first visit.
  if (process.env.L0_E2E_COLD) {
    project.provide('warmStartSeed', '');
    return () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'l0-e2e-seed-'));
  const browser = await launchChromium();
  const site = await startStaticServer({ root: 'dist' });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(site.url);
    writeDump(dir, await captureSnapshot(page));
    project.provide('warmStartSeed', dir);
  } catch (e) {
    // Not fatal: the tests then start Python cold, as they would on a first visit (only slower).
    console.warn(`E2E setup: no warm-start snapshot to seed contexts with (${(e as Error).message}); every context starts Python cold`);
    project.provide('warmStartSeed', '');
  } finally {
    await browser.close();
    await site.close();
  }
  return () => rmSync(dir, { recursive: true, force: true });
}
