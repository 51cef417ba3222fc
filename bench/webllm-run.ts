// Drives bench/webllm.html in Chromium on a machine with a GPU and network, and writes the page's
// JSON to bench/results/webllm-<model>.json.
//   npx vite build && node --import tsx bench/webllm-run.ts [modelId] [contextWindow]
// Env: CHROMIUM_PATH (a Chrome/Chromium with WebGPU), WEIGHTS (L0 weights base URL), HEADFUL=1.
import { mkdir, writeFile } from 'node:fs/promises';
import { chromium } from 'playwright-core';
import { startStaticServer } from '../test/support/static-server';
import { CHROMIUM_PATH } from '../test/support/browser';

const model = process.argv[2] ?? 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC';
const ctx = process.argv[3] ?? '4096';

const site = await startStaticServer({ root: 'dist' });
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  headless: !process.env.HEADFUL,
  args: ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'],
});
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log('[page]', m.text()));
  const q = new URLSearchParams({ model, ctx, auto: '1', ...(process.env.WEIGHTS ? { weights: process.env.WEIGHTS } : {}) });
  await page.goto(`${site.url}bench/webllm.html?${q}`);
  await page.waitForFunction(() => 'benchResult' in window, undefined, { timeout: 60 * 60_000, polling: 1000 });
  const result = await page.evaluate(() => (window as unknown as { benchResult: unknown }).benchResult);
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/webllm-${model}.json`;
  await writeFile(file, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${file}`);
} finally {
  await browser.close();
  await site.close();
}
