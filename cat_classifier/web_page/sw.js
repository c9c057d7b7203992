// Makes the page work offline once it has loaded: its small files are kept in the browser's cache storage here;
// the page keeps the models there itself as it downloads them (so that a first visit downloads them once).
// `cat-classifier export --web` writes the version, which changes with the files' contents.
const VERSION = '{{version}}', FILES = {{files}};
self.addEventListener('install', e => e.waitUntil(caches.open(VERSION).then(c => c.addAll(FILES)).then(() => self.skipWaiting())));
self.addEventListener('activate', e => e.waitUntil(
  caches.keys().then(ks => Promise.all(ks.filter(k => k !== VERSION).map(k => caches.delete(k)))).then(() => self.clients.claim())));
// Cache first: a file of this version never changes; anything else goes to the network as usual.
self.addEventListener('fetch', e => e.respondWith(
  caches.open(VERSION).then(c => c.match(e.request, {ignoreSearch: true})).then(r => r || fetch(e.request))));
