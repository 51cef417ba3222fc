// Test/benchmark harness page: exposes the library API as `window.l0`.
import * as l0 from './index';

declare global {
  interface Window {
    l0: typeof l0;
    l0Ready: boolean;
  }
}
window.l0 = l0;
window.l0Ready = true;
document.getElementById('log')!.textContent = 'ready';
