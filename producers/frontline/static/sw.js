// The app shell from the cache, so the book opens with no network; entries never go through here
// (the outbox sends them itself), and no personal data is cached (API answers are not stored).
const VERSION = "__VERSION__";
const SHELL = `ctv-shell-${VERSION}`;
const FILES = ["/ctv/", "/ctv/static/app.js", "/ctv/static/app.css", "/ctv/static/store.js", "/ctv/static/model.js",
  "/ctv/static/outbox.js", "/ctv/static/formview.js", "/ctv/static/forms.js", "/ctv/static/checks.js", "/ctv/static/i18n.js",
  "/ctv/static/util.js", "/ctv/static/desk.js", "/ctv/static/lock.js", "/ctv/static/icon.svg", "/ctv/static/manifest.webmanifest",
  ...["birth", "death", "move_out", "move_in", "marriage", "divorce", "household.member_moved", "household.registered",
      "person.registered", "person.corrected", "contraception.started", "contraception.stopped", "pregnancy.recorded",
      "pregnancy.ended", "event.voided"].map((x) => `/ctv/schemas/${x}.json`)];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names.filter((n) => n.startsWith("ctv-shell-") && n !== SHELL)
    .map((n) => caches.delete(n)))).then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.startsWith("/ctv/api/") || url.pathname.startsWith("/v1/")) return;
  if (!url.pathname.startsWith("/ctv")) return;
  const key = event.request.mode === "navigate" ? "/ctv/" : url.pathname;
  // Cache first: the shell of this version never changes; a new version comes with a new sw.js.
  event.respondWith(caches.open(SHELL).then((c) => c.match(key)).then((hit) => hit || fetch(event.request)));
});
