/** Jina Reader: any http(s) page as Markdown (`GET r.jina.ai/<url>`; the key is optional). */
import { toolError } from './errors';
import { httpJson, type HttpOptions } from './http';
import type { PageReader } from './web';

export interface JinaOptions extends HttpOptions {
  apiKey?: string;
  /** Default 'https://r.jina.ai'. */
  baseUrl?: string;
}

interface JinaResponse {
  data?: { title?: string; url?: string; content?: string };
}

export function jinaReader(options: JinaOptions = {}): PageReader {
  const root = (options.baseUrl ?? 'https://r.jina.ai').replace(/\/+$/, '');
  // The proxy gets the URL as our parser reads it, so it cannot read another host out of it than
  // the one the fetch approval asked about (`http://a.com\\@b.com/` is a.com here, b.com to some parsers).
  const target = (url: string) => {
    try {
      return new URL(url).href;
    } catch {
      throw toolError('jina', `not a valid URL: ${url.slice(0, 200)}`);
    }
  };
  return {
    name: 'Jina Reader',
    canRead: (url) => /^https?:\/\//i.test(url),
    // Jina fetches the page: both its own host and the page's host are reached.
    destinations: (url) => [`${root}/${target(url)}`, target(url)],
    serviceUrls: [root],
    async read(url, signal) {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`;
      const data = await httpJson<JinaResponse>('jina', `${root}/${target(url)}`, { signal, headers }, options);
      if (typeof data.data?.content !== 'string') throw toolError('jina', 'bad response: no data.content in the answer');
      return { title: data.data.title || url, url: data.data.url || url, markdown: data.data.content.trim() };
    },
  };
}
