// Starting a visit from the assignment list with no connection (SPEC §9 "Offline": once the auditor
// has opened their assignments, the list and every visit form work offline).
// - While online, the blank form of each assignment not started yet (/assignments/:id/new) is fetched
//   once through the service worker, which keeps it like the other forms.
// - "Start the visit" tries the platform first, with an Idempotency-Key. If the platform cannot be
//   reached, the phone starts the visit itself (public/offline-store.js: the first queued item makes
//   it, with that same key — so if the first try did reach the platform, no second visit is made) and
//   opens the kept form.
// - A visit started on this phone shows "Continue" on its card.
// Needs public/offline-queue.js (and its store); without them the start form posts as it always did.
(function () {
  'use strict';
  var Q = window.OfflineQueue;
  var context = document.getElementById('offline-context');
  if (!Q || !context || !window.fetch) return;
  var START = /\/assignments\/([a-f0-9]{24})\/start$/;
  var forms = Array.prototype.slice.call(document.querySelectorAll('form[action$="/start"]'));

  function assignmentOf(form) {
    var m = START.exec(form.getAttribute('action') || '');
    return m ? m[1] : '';
  }

  function formUrl(assignmentId) {
    return '/assignments/' + assignmentId + '/new';
  }

  function fieldsOf(form) {
    var out = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== '_csrf' && typeof value === 'string') out[key] = value;
    });
    return out;
  }

  /** Tried online first; with no answer at all (no connection, or the platform down) the phone starts it. */
  function start(form, ev) {
    if (form.getAttribute('data-passing')) return;
    ev.preventDefault();
    var assignmentId = assignmentOf(form);
    var key = Q.newKey();
    fetch(form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Idempotency-Key': key },
      body: new URLSearchParams(new FormData(form)),
    }).then(
      function (res) {
        if (res.redirected && /\/visits\/[a-f0-9]{24}\/edit$/.test(new URL(res.url).pathname))
          return location.assign(res.url);
        // Refused (a time to correct or confirm): nothing was made, so the form posts as usual and
        // the platform's page says what to correct.
        form.setAttribute('data-passing', '1');
        form.submit();
      },
      function () {
        return Q.startVisit(assignmentId, fieldsOf(form), key).then(function () {
          location.assign(formUrl(assignmentId));
        });
      },
    );
  }

  /** A card whose visit was started on this phone (and maybe made since): "Continue" opens its form. */
  function markStarted(form, assignmentId) {
    return Q.visit('new-' + assignmentId).then(function (rec) {
      if (!rec.local && !rec.movedTo) return false;
      var details = form.closest('details') || form;
      var p = document.createElement('p');
      var a = document.createElement('a');
      a.className = 'button primary';
      a.href = rec.movedTo ? '/visits/' + rec.movedTo + '/edit' : formUrl(assignmentId);
      a.textContent = context.getAttribute('data-continue') || a.href;
      p.appendChild(a);
      details.replaceWith(p);
      return true;
    });
  }

  /** Keeps the blank form of a not-started assignment on the phone (once; the service worker keeps it). */
  function warm(assignmentId) {
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller || !window.caches) return Promise.resolve();
    return caches.match(formUrl(assignmentId)).then(function (kept) {
      if (kept) return;
      return fetch(formUrl(assignmentId), { credentials: 'same-origin' }).catch(function () {});
    });
  }

  var started = forms.map(function (form) {
    var assignmentId = assignmentOf(form);
    if (!assignmentId) return Promise.resolve(true);
    form.addEventListener('submit', function (ev) {
      start(form, ev);
    });
    return markStarted(form, assignmentId);
  });
  // One at a time: the platform renders each form, and a phone's list has up to a page of them.
  Promise.all(started)
    .then(function (done) {
      return forms.reduce(function (chain, form, n) {
        return done[n] ? chain : chain.then(warm.bind(null, assignmentOf(form)));
      }, Promise.resolve());
    })
    .then(function () {
      // Said on the page once done, so that what reads it (and the tests) knows the forms are kept.
      context.setAttribute(
        'data-forms-kept',
        navigator.serviceWorker && navigator.serviceWorker.controller ? 'yes' : 'no',
      );
    });
})();
