import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM_PATH, chromiumMissingMessage } from './browser';

export default function setup(): void {
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
}
