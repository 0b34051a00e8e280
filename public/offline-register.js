// Offline on the auditor's pages (SPEC §9): registers the service worker (public/sw.js, served at
// /sw.js so that it covers the whole site), hands the send queue (public/offline-queue.js) this
// user's session, and on the assignment list says how many changes still wait on this phone.
(function () {
  'use strict';
  var el = document.getElementById('offline-context');
  if (!el) return;
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/sw.js').catch(function () {});
  var Q = window.OfflineQueue;
  if (!Q) return;
  Q.configure({ userId: el.getAttribute('data-user'), csrf: el.getAttribute('data-csrf') });

  // Signing out: this user's kept pages are forgotten (what waits to be sent stays, for their next sign-in).
  document.querySelectorAll('form[action="/logout"]').forEach(function (f) {
    f.addEventListener('submit', function () {
      var sw = navigator.serviceWorker && navigator.serviceWorker.controller;
      if (sw) sw.postMessage({ type: 'forget-pages' });
    });
  });

  // What waits here for another auditor whose sign-in expired: kept for them, never sent as this user.
  var others = document.getElementById('offline-others');
  if (others && Q.othersWaiting)
    Q.othersWaiting().then(function (n) {
      others.hidden = n === 0;
      others.textContent = el.getAttribute('data-others') || '';
    });

  var banner = document.getElementById('offline-waiting');
  if (!banner) return;
  var text = el.getAttribute('data-waiting') || '{n}';
  function refresh() {
    Q.waitingCount().then(function (n) {
      banner.hidden = n === 0;
      banner.textContent = text.replace('{n}', String(n));
    });
  }
  Q.subscribe(function (e) {
    if (e.type === 'item' && e.state !== 'sending') refresh();
  });
  refresh();
})();
