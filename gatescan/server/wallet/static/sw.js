// The wallet's service worker: keeps the page's files so the ticket opens with no
// network at all (crowded venues lose mobile data right at the gate). The server
// fills in the version, a hash of every file: a changed page gets a fresh cache.
// API calls (/api/...) always go to the network.

const VERSION = "__WALLET_VERSION__";
const CACHE = `gatescan-wallet-${VERSION}`;
const FILES = [
  "./", "app.js", "token.js", "qr.js", "i18n.js", "store.js", "wallet.css",
  "manifest.webmanifest", "icon.svg",
  "vendor/qrcode-generator/qrcode.mjs", "vendor/qrcode-generator/qrcode_UTF8.mjs",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("gatescan-wallet-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  if (!url.pathname.startsWith(scope.pathname)) return;
  const key = event.request.mode === "navigate" ? "./" : event.request;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(key, { ignoreSearch: true });
    return hit || fetch(event.request);
  })());
});
