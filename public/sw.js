/* global workbox */
// The service worker (SPEC §9 "Offline"), built on Workbox served from the app itself
// (/static/vendor/workbox/, see server/platform/http/offline-assets.ts):
// - the scripts and styles the auditor's pages use are cached when the worker installs, and kept
//   fresh afterwards (stale-while-revalidate);
// - the assignment list and every visit page the auditor opens are fetched from the network first and
//   kept, so they open from the phone when there is no connection (or the platform cannot be reached);
// - any other page that cannot be reached gets a small page saying so, in both languages.
// The writes never go through here: the page queues them in IndexedDB (public/offline-queue.js).
self.importScripts('/static/vendor/workbox/workbox-sw.js');
workbox.setConfig({ modulePathPrefix: '/static/vendor/workbox/', debug: false });
// Loaded now: a service worker may only import scripts while it first runs.
['workbox-core', 'workbox-routing', 'workbox-strategies', 'workbox-expiration', 'workbox-cacheable-response'].forEach(
  function (m) {
    workbox.loadModule(m);
  },
);

var VERSION = 'v3';
var STATIC = 'msa-static-' + VERSION;
var PAGES = 'msa-pages-' + VERSION;
var OFFLINE_PAGE = '/static/offline.html';
var ASSETS = [
  '/static/app.css',
  '/static/items.css',
  '/static/roles.css',
  '/static/favicon.svg',
  '/static/form-conditions.js',
  '/static/form-items.js',
  '/static/visit-form.js',
  '/static/visit-evidence.js',
  '/static/visit-checks.js',
  '/static/visit-place.js',
  '/static/visit-capture.js',
  '/static/visit-sync.js',
  '/static/offline-store.js',
  '/static/offline-files.js',
  '/static/offline-queue.js',
  '/static/resumable-upload.js',
  '/static/offline-register.js',
  '/static/offline-start.js',
  '/static/vendor/idb/umd.js',
  OFFLINE_PAGE,
];

self.addEventListener('install', function (event) {
  event.waitUntil(
    caches.open(STATIC).then(function (cache) {
      return cache.addAll(ASSETS);
    }),
  );
  self.skipWaiting();
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches
      .keys()
      .then(function (names) {
        return Promise.all(
          names
            .filter(function (n) {
              return n.indexOf('msa-') === 0 && n !== STATIC && n !== PAGES;
            })
            .map(function (n) {
              return caches.delete(n);
            }),
        );
      })
      .then(function () {
        return self.clients.claim();
      }),
  );
});

workbox.routing.registerRoute(
  function (o) {
    return o.url.origin === self.location.origin && o.url.pathname.indexOf('/static/') === 0;
  },
  new workbox.strategies.StaleWhileRevalidate({ cacheName: STATIC }),
);

/** The auditor's pages that must open offline: the list and each visit (form and read view). */
var OFFLINE_PAGES = /^\/(assignments|visits\/[a-f0-9]{24}(\/edit)?)$/;

/** The blank form of a visit not started yet (public/offline-start.js fetches it from the list to keep it). */
var NEW_VISIT = /^\/assignments\/[a-f0-9]{24}\/new$/;

var pages = new workbox.strategies.NetworkFirst({
  cacheName: PAGES,
  networkTimeoutSeconds: 8,
  plugins: [
    // Only pages as they are: never a redirect to sign-in or an error page in place of the form, and
    // never a page reached by a redirect (a navigation cannot be answered with one).
    new workbox.cacheableResponse.CacheableResponsePlugin({ statuses: [200] }),
    {
      cacheWillUpdate: function (o) {
        return Promise.resolve(o.response && !o.response.redirected ? o.response : null);
      },
    },
    new workbox.expiration.ExpirationPlugin({ maxEntries: 400 }),
  ],
});

workbox.routing.registerRoute(function (o) {
  if (o.url.origin !== self.location.origin) return false;
  if (NEW_VISIT.test(o.url.pathname)) return true;
  return o.request.mode === 'navigate' && OFFLINE_PAGES.test(o.url.pathname);
}, pages);

// What cannot be reached and was not kept: a page that says so, rather than the browser's error.
workbox.routing.setCatchHandler(function (o) {
  if (o.request.mode === 'navigate' || o.request.destination === 'document')
    return caches.match(OFFLINE_PAGE, { cacheName: STATIC }).then(function (r) {
      return r || Response.error();
    });
  return Promise.resolve(Response.error());
});
workbox.routing.setDefaultHandler(new workbox.strategies.NetworkOnly());

// Signing out: the kept pages are this user's; the next person on this phone must not see them.
self.addEventListener('message', function (event) {
  if (event.data && event.data.type === 'forget-pages') event.waitUntil(caches.delete(PAGES));
});

// The sign-in page opens when a sign-in expired or someone else is about to sign in on this phone
// (no sign-out at all): the kept pages go then too, before anyone signs in, so the next person never
// sees them. What waits to be sent stays in IndexedDB under its own user, for their next sign-in.
// It never answers (Workbox's own listener does): it only forgets.
self.addEventListener('fetch', function (event) {
  var url = new URL(event.request.url);
  if (event.request.mode === 'navigate' && url.origin === self.location.origin && /^\/login(\/|$)/.test(url.pathname))
    event.waitUntil(caches.delete(PAGES));
});
