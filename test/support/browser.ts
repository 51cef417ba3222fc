// Launches Debian's Chromium through playwright-core (no browser download needed).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumMissingMessage(): string {
  return `Chromium was not found at ${CHROMIUM_PATH}. Install it with:\n\n    sudo apt-get update && sudo apt-get install -y chromium\n\n(or set CHROMIUM_PATH to a Chromium/Chrome binary).`;
}

export interface LaunchChromiumOptions {
  /** Expose the software (SwiftShader) WebGPU adapter. */
  webgpu?: boolean;
  extraArgs?: string[];
}

function chromiumArgs(opts: LaunchChromiumOptions): string[] {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(chromiumMissingMessage());
  return [
    '--no-sandbox',
    '--headless=new',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    ...(opts.webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader'] : ['--disable-gpu']),
    ...(opts.extraArgs ?? []),
  ];
}

export async function launchChromium(opts: LaunchChromiumOptions = {}): Promise<Browser> {
  const launch: LaunchOptions = { executablePath: CHROMIUM_PATH, args: chromiumArgs(opts), headless: true };
  return chromium.launch(launch);
}

/**
 * Chromium with a real profile in `userDataDir`: an on-disk HTTP cache and V8 code cache, as a
 * user's browser has. (Contexts from launchChromium() are private windows: their in-memory HTTP
 * cache does not keep files as large as Pyodide's 9.6 MB Wasm module.)
 */
export async function launchChromiumProfile(userDataDir: string, opts: LaunchChromiumOptions = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM_PATH, args: chromiumArgs(opts), headless: true });
}
