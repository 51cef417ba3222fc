import { launchChromium } from '../test/support/browser';
import { startStaticServer } from '../test/support/static-server';
const server = await startStaticServer({ root: 'dist', isolation: true });
const browser = await launchChromium();
let stuck = 0;
for (let i = 0; i < Number(process.env.N ?? 15); i++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  page.on('worker', (w) => logs.push(`worker started ${w.url().slice(0, 60)}`));
  const t0 = Date.now();
  await page.goto(server.url);
  try {
    await page.waitForFunction(() => /ready/.test(document.querySelector('.python-status')?.textContent ?? ''), undefined, { timeout: 20_000 });
    console.log(i, 'ready in', Date.now() - t0);
    await page.waitForTimeout(Number(process.env.WAIT ?? 0));
  } catch {
    stuck++;
    console.log(i, 'STUCK:', await page.evaluate(() => document.querySelector('.python-status')?.textContent));
    console.log(logs.join('\n'));
  }
  await ctx.close();
}
console.log('stuck', stuck);
await browser.close(); await server.close();
