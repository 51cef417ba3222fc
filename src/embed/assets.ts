// Where the library's own files live. The Python runtime (`pyodide/`) and the worker scripts are
// resolved relative to the library module (import.meta.url), never to the host page, so the
// package works from any folder of any site; `assetsBaseUrl` overrides that.

/**
 * The folder the library was loaded from. In the library build (`vite.lib.config.ts`, mode 'lib')
 * every chunk sits at the root of `dist-lib/`, next to `pyodide/`. When this source is bundled into
 * the app itself (dist/, dev server), Pyodide is served from the page's own `pyodide/` folder.
 */
function defaultAssetsBase(): URL {
  if (import.meta.env.MODE === 'lib') {
    // A non-literal argument keeps bundlers from trying to resolve the folder at build time.
    const here = './';
    return new URL(here, import.meta.url);
  }
  return new URL('./', document.baseURI);
}

export interface ResolvedAssets {
  /** Base folder (ends with '/'). */
  base: string;
  /** Pyodide's indexURL (ends with '/'). */
  pyodideIndexURL: string;
}

/** Resolves the assets folder: an explicit `assetsBaseUrl` (relative to the page) wins. */
export function resolveAssets(assetsBaseUrl?: string | URL): ResolvedAssets {
  const base = assetsBaseUrl ? new URL(String(assetsBaseUrl), document.baseURI) : defaultAssetsBase();
  const href = base.href.endsWith('/') ? base.href : `${base.href}/`;
  return { base: href, pyodideIndexURL: new URL('pyodide/', href).href };
}
