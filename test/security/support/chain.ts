// The red team's escape chain (payloads/chain.py + chain-page.js) as notebook cells for a target.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const read = (name: string) => readFileSync(fileURLToPath(new URL(`../payloads/${name}`, import.meta.url)), 'utf8');

/** Python without its comment-only lines (a model's turn has a token budget: 4,096 characters in the widget). */
export function withoutComments(code: string): string {
  return code.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
}

/**
 * The chain as three cells: the set-up (`CANARY`, and `PAGE_JS`, the JavaScript it asks the page
 * to run), then chain.py's two cells.
 */
export function chainCells(canaryUrl: string): [string, string, string] {
  const pageJs = read('chain-page.js').replaceAll('__CANARY__', canaryUrl);
  const [first, second] = read('chain.py').split(/^# %%.*$/m);
  if (!first || !second) throw new Error('chain.py must have two cells');
  return [`CANARY = ${JSON.stringify(canaryUrl)}\nPAGE_JS = ${JSON.stringify(pageJs)}`, first, second];
}

/** The "STAGE ..." and "ESCAPED ..." lines a run printed: the steps of the chain that worked. */
export function stages(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('STAGE') || l.startsWith('ESCAPED'));
}
