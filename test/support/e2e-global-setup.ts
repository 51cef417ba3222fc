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
}
