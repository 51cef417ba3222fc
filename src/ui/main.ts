// The notebook page entry: mount the app into the document and register the offline service worker.
import './tokens.css';
import './styles.css';
import './approval-prompt.css';
import { mountApp } from './app';
import { createPageServices } from './services';

document.body.classList.add('l0-page');
const app = mountApp(document, { services: createPageServices() });
// The task box and buttons work from here on (bench/ui.mjs measures time to this mark).
performance.mark('l0-interactive');
// The page is interactive now; Python and the model load in the background (see app.ready).
void app.ready;

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  // Relative URL and scope: works from any sub-path. After the first visit the app shell and
  // Pyodide come from the cache, so the page loads offline.
  window.addEventListener('load', () => {
    navigator.serviceWorker.register(new URL('sw.js', document.baseURI), { scope: './' }).catch((e: unknown) => {
      console.warn('Service worker registration failed; the app works online only.', e);
    });
  });
}
