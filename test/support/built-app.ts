// The E2E setup most browser tests share: one Chromium and one static server for the built app
// (dist/), started before the file's tests and closed after them.
import { afterAll, beforeAll } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from './browser';
import { startStaticServer, type StaticServer } from './static-server';

export interface BuiltAppOptions {
  /** Expose the software WebGPU adapter to the browser. */
  webgpu?: boolean;
  /** Serve dist/ under this sub-path (default '/'). */
  basePath?: string;
  /** Send COOP/COEP (default true, as startStaticServer). */
  isolation?: boolean;
}

export interface BuiltApp {
  /** The browser launched in beforeAll (throws if read before it ran). */
  readonly browser: Browser;
  /** The static server of dist/ started in beforeAll. */
  readonly site: StaticServer;
}

/** Registers beforeAll/afterAll that launch Chromium and serve dist/; call it at a file's top level. */
export function useBuiltApp(opts: BuiltAppOptions = {}): BuiltApp {
  let browser: Browser | undefined;
  let site: StaticServer | undefined;
  beforeAll(async () => {
    browser = await launchChromium({ webgpu: opts.webgpu });
    site = await startStaticServer({ root: 'dist', basePath: opts.basePath, isolation: opts.isolation });
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });
  return {
    get browser() {
      if (!browser) throw new Error('useBuiltApp: the browser is only there once beforeAll has run');
      return browser;
    },
    get site() {
      if (!site) throw new Error('useBuiltApp: the server is only there once beforeAll has run');
      return site;
    },
  };
}
