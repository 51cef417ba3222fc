/** Tavily search API (needs the user's key, passed in by the host; never stored here). */
import { toolError } from './errors';
import { httpJson, type HttpOptions } from './http';
import type { SearchProvider } from './web';

export interface TavilyOptions extends HttpOptions {
  apiKey: string;
  /** Default 'https://api.tavily.com'. */
  baseUrl?: string;
}

interface TavilyResponse {
  results?: { title?: string; url?: string; content?: string }[];
}

export function tavilySearch(options: TavilyOptions): SearchProvider {
  if (!options.apiKey) throw toolError('tavily', 'no API key configured');
  const root = (options.baseUrl ?? 'https://api.tavily.com').replace(/\/+$/, '');
  return {
    name: 'Tavily',
    endpoint: `${root}/search`,
    async search(query, k, signal) {
      const data = await httpJson<TavilyResponse>(
        'tavily',
        `${root}/search`,
        {
          method: 'POST',
          signal,
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.apiKey}` },
          body: JSON.stringify({ query, max_results: k }),
        },
        options,
      );
      return (data.results ?? [])
        .filter((r) => r.url)
        .slice(0, k)
        .map((r) => ({ title: r.title ?? r.url!, url: r.url!, snippet: (r.content ?? '').replace(/\s+/g, ' ').trim() }));
    },
  };
}
