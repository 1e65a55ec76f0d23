importScripts('/identity/signals.js');
if (typeof SharedWorkerGlobalScope !== 'undefined') {
  const ready = signals();
  self.onconnect = e => ready.then(o => e.ports[0].postMessage(o), x => e.ports[0].postMessage({ error: String(x) }));
} else if (typeof ServiceWorkerGlobalScope !== 'undefined') {
  self.addEventListener('install', () => self.skipWaiting());
  self.addEventListener('activate', e => e.waitUntil(self.clients.claim()));
  self.addEventListener('message', e => signals().then(o => e.source.postMessage(o), x => e.source.postMessage({ error: String(x) })));
} else {
  signals().then(o => postMessage(o), x => postMessage({ error: String(x) }));
}
