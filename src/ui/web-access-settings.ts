// The page's "Web access" settings: a reader for sites other than Wikipedia (Jina Reader), and
// "Ask before fetching from hosts not on the list" with the list (see src/app/approvals.ts).
import type { AppSettings } from '../app/index';
import { invalidHostPatterns } from '../tools/fetch-approval';
import { h, uid } from './dom';

export type WebAccessSettings = Pick<AppSettings, 'askBeforeFetch' | 'allowedHosts' | 'jinaReaderUrl'>;

const splitHosts = (text: string): string[] => text.split(/[\s,]+/).filter(Boolean);

/** The fieldset, filled from `settings`; its controls are named askBeforeFetch, allowedHosts, jinaReaderUrl. */
export function webAccessFieldset(settings: AppSettings): HTMLFieldSetElement {
  const askId = uid('ask-before-fetch');
  const hostsId = uid('allowed-hosts');
  const readerId = uid('jina-reader');
  const hostsHint = `${hostsId}-hint`;
  const readerHint = `${readerId}-hint`;
  const hosts = h('textarea', { id: hostsId, name: 'allowedHosts', rows: 3, spellcheck: 'false', 'aria-describedby': hostsHint, placeholder: 'docs.python.org\n*.wikipedia.org' });
  hosts.value = (settings.allowedHosts ?? []).join('\n');
  // The form does not save a list with an entry that is not a host (it would match nothing).
  const check = () => {
    const bad = invalidHostPatterns(splitHosts(hosts.value));
    hosts.setCustomValidity(bad.length ? `Not a host name: ${bad.slice(0, 3).join(', ')}` : '');
  };
  hosts.addEventListener('input', check);
  check();
  return h(
    'fieldset',
    { class: 'web-access-field' },
    h('legend', {}, 'Web access'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: readerId }, 'Reader for other sites (Jina Reader URL)'),
      h('input', { id: readerId, name: 'jinaReaderUrl', type: 'url', value: settings.jinaReaderUrl ?? '', placeholder: 'https://r.jina.ai', 'aria-describedby': readerHint }),
      h('span', { class: 'hint', id: readerHint }, 'Empty: get_webpage_in_markdown reads Wikipedia articles only. The reader service sees every URL it reads.'),
    ),
    h('div', { class: 'check-field' }, h('input', { type: 'checkbox', id: askId, name: 'askBeforeFetch', checked: settings.askBeforeFetch === true }), h('label', { for: askId }, 'Ask before fetching from hosts not on the list')),
    h(
      'div',
      { class: 'field' },
      h('label', { for: hostsId }, 'Hosts fetched without asking'),
      hosts,
      h('span', { class: 'hint', id: hostsHint }, 'One a line: example.org, example.org:8080, *.example.org. en.wikipedia.org, the reader and the model server are always allowed.'),
    ),
  );
}

export function readWebAccess(data: FormData): WebAccessSettings {
  const reader = String(data.get('jinaReaderUrl') ?? '').trim();
  return {
    askBeforeFetch: data.get('askBeforeFetch') !== null,
    allowedHosts: splitHosts(String(data.get('allowedHosts') ?? '')),
    ...(reader && { jinaReaderUrl: reader }),
  };
}
