/** SearXNG (a self-hosted metasearch instance; its JSON format must be enabled, and CORS for browsers). */
import { toolError } from './errors';
import { httpJson, type HttpOptions } from './http';
import type { SearchProvider } from './web';
import { snippetToText } from './wikipedia';

export interface SearxngOptions extends HttpOptions {
  /** Instance root, e.g. 'https://searx.example.org'. */
  instanceUrl: string;
}

interface SearxngResponse {
  results?: { title?: string; url?: string; content?: string }[];
}

export function searxngSearch(options: SearxngOptions): SearchProvider {
  if (!options.instanceUrl) throw toolError('searxng', 'no instance URL configured');
  const root = options.instanceUrl.replace(/\/+$/, '');
  return {
    name: 'SearXNG',
    endpoint: `${root}/search`,
    async search(query, k, signal) {
      const url = `${root}/search?${new URLSearchParams({ q: query, format: 'json' })}`;
      const data = await httpJson<SearxngResponse>('searxng', url, { signal, headers: { Accept: 'application/json' } }, options);
      return (data.results ?? [])
        .filter((r) => r.url)
        .slice(0, k)
        .map((r) => ({ title: r.title ?? r.url!, url: r.url!, snippet: snippetToText(r.content ?? '') }));
    },
  };
}
