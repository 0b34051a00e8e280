// Visit form enhancements. Without this script the form still works: Save and Submit post the form,
// and the evidence form uploads one file at a time. With it:
// - the form is kept on the phone as the auditor goes (debounced) and queued for the platform
//   (public/offline-queue.js: IndexedDB, sent in order with Idempotency-Keys, each save carrying the
//   revision the previous write produced — a stale one is how a change made elsewhere is caught);
// - a page opened from the phone's cache shows the phone's copy (public/visit-sync.js says what is
//   on the phone and what has reached the platform);
// - items appear and disappear as their conditions change (public/form-items.js), the auditor is told
//   which answers that cleared, and a failed evidence-on-failure item asks for its photo right there
//   (which answers fail is the server's answer to each save: the rules decide, this script shows it).
(function () {
  'use strict';
  var form = document.getElementById('visit-form');
  if (!form || !window.fetch || !window.FormData || !window.Promise) return;

  var text = {};
  try {
    text = JSON.parse(form.getAttribute('data-text') || '{}');
  } catch (e) {
    text = {};
  }
  var csrf = form.querySelector('input[name="_csrf"]').value;
  var revInput = form.querySelector('input[name="rev"]');
  var statusEl = document.getElementById('save-status');

  var TYPING_DELAY_MS = 1200;
  var CHOICE_DELAY_MS = 400;

  var timer = null;
  var dirty = false;

  function fill(s, vars) {
    return String(s || '').replace(/\{(\w+)\}/g, function (m, k) {
      return vars[k] !== undefined ? String(vars[k]) : m;
    });
  }

  function show(message, kind) {
    if (!statusEl) return;
    statusEl.hidden = false;
    statusEl.textContent = message;
    statusEl.className = 'v-save-status' + (kind ? ' v-save-' + kind : '');
    statusEl.setAttribute('data-state', kind || '');
  }

  function fields() {
    var out = {};
    new FormData(form).forEach(function (value, key) {
      if (key !== '_csrf' && key !== 'action' && typeof value === 'string') out[key] = value;
    });
    return out;
  }

  function clearMarks() {
    form.querySelectorAll('.js-invalid').forEach(function (el) {
      el.classList.remove('js-invalid', 'invalid');
    });
  }

  function markErrors(byField) {
    clearMarks();
    Object.keys(byField || {}).forEach(function (name) {
      var input =
        form.querySelector('[name="' + name.replace(/"/g, '') + '"]') ||
        form.querySelector('[name^="' + name.replace(/"/g, '') + '."]');
      var box = input && (input.closest('fieldset') || input.closest('label'));
      if (box) box.classList.add('js-invalid', 'invalid');
    });
  }

  function setRev(rev) {
    if (typeof rev === 'number' && revInput) revInput.value = String(rev);
  }

  // ---- the phone's copy (public/offline-queue.js keeps it and sends it in turn)

  var OQ = window.OfflineQueue;
  var visitId = form.getAttribute('data-visit-id');
  var ready = OQ
    ? OQ.initVisit(visitId, Number(revInput ? revInput.value : 0)).then(
        function (rec) {
          if (rec && rec.visitId !== visitId) follow(rec.visitId);
          return restore(rec);
        },
        function () {
          return null;
        },
      )
    : Promise.resolve(null);
  if (!OQ) form.setAttribute('data-phone-copy', 'none');

  /**
   * A visit started on this phone has the phone's id (`new-<assignmentId>`) until the platform makes
   * it; then the form (and every address in it) follows the platform's id, without a reload.
   */
  function follow(to) {
    var from = visitId;
    visitId = to;
    form.setAttribute('data-visit-id', to);
    form.removeAttribute('data-new-for');
    document.querySelectorAll('form[action*="/visits/' + from + '/"], [data-location-url]').forEach(function (el) {
      ['action', 'data-location-url'].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) el.setAttribute(attr, v.split('/visits/' + from + '/').join('/visits/' + to + '/'));
      });
    });
    if (revInput) revInput.value = '0';
  }
  if (OQ)
    OQ.subscribe(function (e) {
      if (e.type === 'moved' && e.from === visitId) follow(e.to);
    });

  /** Puts the phone's copy into the form (this page may be older: opened from the phone's cache). */
  function restore(rec) {
    // Said on the form once known, so that what reads it (and the tests) knows the phone was asked.
    form.setAttribute('data-phone-copy', rec && rec.fields ? 'shown' : 'none');
    if (!rec || !rec.fields) return rec;
    var f = rec.fields;
    form.querySelectorAll('input, select, textarea').forEach(function (el) {
      var name = el.name;
      if (!name || name === '_csrf' || name === 'rev' || el.type === 'file' || el.type === 'hidden') return;
      var v = Object.prototype.hasOwnProperty.call(f, name) ? f[name] : undefined;
      if (el.type === 'radio' || el.type === 'checkbox') el.checked = v !== undefined && el.value === v;
      else el.value = v === undefined ? '' : v;
    });
    if (window.FormItems) window.FormItems.applyConditions(form);
    updateCounts();
    return rec;
  }

  /** Keeps the form on the phone and queues it; the queue's events say when it reached the platform. */
  function doSave() {
    if (!OQ) return Promise.resolve(false);
    return ready
      .then(function () {
        return OQ.saveDraft(visitId, fields());
      })
      .then(
        function () {
          if (window.VisitSync) window.VisitSync.refresh();
          return true;
        },
        function (e) {
          show(fill(text.failed, { message: (e && e.message) || 'IndexedDB' }), 'bad');
          return false;
        },
      );
  }

  /** What the queue learnt from the platform about this visit's saves. */
  function onSent(event) {
    if (event.type !== 'item' || event.item.visitId !== visitId) return;
    var r = event.item.result || {};
    if (event.state === 'sent' && typeof r.rev === 'number') setRev(r.rev);
    if (event.state === 'sent' && event.item.kind === 'draft') {
      clearMarks();
      showEvidence(r.evidence);
    }
  }
  if (OQ) OQ.subscribe(onSent);

  /** Saves now if anything changed; resolves when this and everything queued before it is done. */
  function save() {
    clearTimeout(timer);
    timer = null;
    if (!dirty) return Promise.resolve(true);
    dirty = false;
    return doSave();
  }

  function schedule(delay) {
    dirty = true;
    if (statusEl) statusEl.setAttribute('data-state', 'pending');
    clearTimeout(timer);
    timer = setTimeout(save, delay);
  }

  // ---- answered counters per section, conditions, evidence on failure ----

  function updateCounts() {
    if (!window.FormItems) return;
    window.FormItems.counts(form).forEach(function (c) {
      var counter = c.section.querySelector('.v-count');
      if (counter) counter.textContent = fill(text.answered, { answered: c.answered, total: c.total });
      c.section.hidden = c.total === 0;
    });
  }

  /** Under the item whose change hid others: which answers were cleared. */
  function showCleared(texts, target) {
    var at = target && target.closest ? target.closest('fieldset.v-item') : null;
    form.querySelectorAll('.v-cleared').forEach(function (el) {
      el.remove();
    });
    if (!at) return;
    var note = document.createElement('p');
    note.className = 'v-cleared';
    note.setAttribute('role', 'status');
    note.textContent = fill(text.cleared, { items: texts.join('、') });
    at.appendChild(note);
  }

  /** The rules' verdict on the saved answers: which evidence-on-failure items fail, which have a file. */
  function showEvidence(state) {
    if (!state) return;
    document.querySelectorAll('.v-evidence-ask[data-evidence-for]').forEach(function (box) {
      var key = box.getAttribute('data-evidence-for');
      var failing = state.failing.indexOf(key) !== -1;
      markEvidence(box, failing, state.attached.indexOf(key) !== -1);
    });
  }

  function markEvidence(box, failing, attached) {
    box.hidden = !failing;
    box.classList.toggle('v-evidence-asked', failing && !attached);
    var needed = box.querySelector('.v-ev-needed');
    var done = box.querySelector('.v-ev-done');
    if (needed) needed.hidden = attached;
    if (done) done.hidden = !attached;
  }

  if (window.FormItems)
    window.FormItems.enhance(form, {
      onCleared: showCleared,
      onChange: updateCounts,
    });
  updateCounts();

  form.addEventListener('change', function (ev) {
    var t = ev.target;
    if (t && t.type === 'file') return;
    schedule(
      t && (t.type === 'radio' || t.type === 'checkbox' || t.tagName === 'SELECT') ? CHOICE_DELAY_MS : TYPING_DELAY_MS,
    );
  });
  form.addEventListener('input', function (ev) {
    var t = ev.target;
    if (t && (t.tagName === 'TEXTAREA' || t.type === 'text' || t.type === 'number')) schedule(TYPING_DELAY_MS);
  });

  // Save and Submit first send what waits on the phone, so the form posts the latest revision. With
  // no connection (or a conflict held) the form is kept on the phone, and a submission is queued
  // after the answers and files before it.
  var passing = false;
  form.addEventListener('submit', function (ev) {
    if (passing) return;
    ev.preventDefault();
    var submitter = ev.submitter;
    var submitting = submitter && submitter.value === 'submit';
    save()
      .then(function () {
        return OQ ? OQ.flush(visitId) : true;
      })
      .then(function (allSent) {
        if (allSent) return post(submitter);
        return OQ.visit(visitId).then(function (rec) {
          if (!rec.hold && submitting) return OQ.addSubmit(visitId);
        });
      })
      .then(function () {
        if (window.VisitSync) window.VisitSync.refresh(submitting);
      });
  });

  function post(submitter) {
    // Not from inside this submit event's dispatch (promise callbacks may run before it ends),
    // where the browser ignores a new submission.
    setTimeout(function () {
      passing = true;
      if (form.requestSubmit) form.requestSubmit(submitter || undefined);
      else form.submit();
    }, 0);
  }

  // A phone may drop the page at any time once it is hidden: keep what is typed on the phone now.
  // The save to IndexedDB is asynchronous and a page being left may not finish it (a reload within
  // the autosave's pause lost the last answers), so the form is also kept synchronously, for this
  // user and visit, and taken up by the next load of the form (lastMoment below).
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState !== 'hidden' || !dirty) return;
    keepLastMoment();
    save();
  });
  window.addEventListener('pagehide', function () {
    if (dirty) keepLastMoment();
  });

  var userId = (document.getElementById('offline-context') || form).getAttribute('data-user') || '';
  function lastMomentKey() {
    return 'msa-last-moment:' + userId + ':' + visitId;
  }
  function keepLastMoment() {
    if (!OQ || !userId) return;
    try {
      window.localStorage.setItem(lastMomentKey(), JSON.stringify({ fields: fields(), at: Date.now() }));
    } catch (e) {
      /* storage full or refused: the asynchronous save is all there is */
    }
  }
  /** What was typed just before this form was last left, if its save may not have finished: put back and saved. */
  function takeLastMoment() {
    var kept;
    try {
      kept = JSON.parse(window.localStorage.getItem(lastMomentKey()) || 'null');
      window.localStorage.removeItem(lastMomentKey());
    } catch (e) {
      kept = null;
    }
    if (!kept || !kept.fields) return;
    restore({ fields: kept.fields });
    dirty = true;
    save();
  }
  if (OQ) ready.then(takeLastMoment);

  // The evidence, capture and place scripts share the form's helpers and the phone's queue.
  window.VisitForm = {
    get visitId() {
      return visitId;
    },
    ready: ready,
    markEvidence: markEvidence,
    markErrors: markErrors,
    show: show,
    dirty: function () {
      return dirty;
    },
    /** Keeps what was typed (if anything changed) before another item is queued: the phone's order is the auditor's. */
    saveFirst: save,
    fill: fill,
    text: text,
    csrf: csrf,
    save: function () {
      dirty = true;
      return save();
    },
  };
})();
