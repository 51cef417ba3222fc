// Issue 17.4: the app served over plain http on an address that is not localhost (a LAN IP, here
// a test hostname mapped to 127.0.0.1) is not a secure context: Chromium gives it no
// crypto.subtle. The warm-start snapshot key used it, so Python never started there; the snapshot
// is optional and the key now falls back to another hash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { startStaticServer, type StaticServer } from '../support/static-server';

const HOST = 'l0-lan.test';
let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  browser = await launchChromium({ extraArgs: [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`] });
  server = await startStaticServer({ root: process.env.L0_DIST ?? 'dist', isolation: false });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a plain-http origin that is not localhost', () => {
  it('starts Python and runs cells without crypto.subtle, making a warm-start snapshot anyway', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(server.url.replace('127.0.0.1', HOST) + 'harness.html');
      await page.waitForFunction(() => (window as unknown as { l0Ready?: boolean }).l0Ready === true);
      expect(await page.evaluate(() => ({ secure: isSecureContext, subtle: typeof crypto.subtle }))).toEqual({ secure: false, subtle: 'undefined' });
      const r = await page.evaluate(async () => {
        const phases: string[] = [];
        const l0 = (window as unknown as { l0: { createPyodideSandbox(o: object): Promise<{ runCell(c: string): Promise<{ result?: string; error?: unknown }>; dispose(): Promise<void> }> } }).l0;
        const sb = await l0.createPyodideSandbox({ onProgress: (p: { phase: string }) => phases.push(p.phase) });
        const cell = await sb.runCell('notepad.add_todo(["x"])\n6 * 7');
        await sb.dispose();
        return { result: cell.result, error: cell.error, phases };
      });
      expect(r.error).toBeUndefined();
      expect(r.result).toBe('42');
      expect(r.phases).toContain('snapshot-created');
      expect(r.phases).toContain('ready');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
