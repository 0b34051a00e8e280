// Visit form enhancements. Without this script the form still works: Save and Submit post the form,
// and the evidence form uploads one file at a time. With it:
// - the draft is saved to the server as the auditor goes (debounced; JSON to /visits/:id/draft with
//   the CSRF header), with a "saved" indicator;
// - files upload as soon as they are picked, each with a progress bar, and appear in the list;
// - saves and uploads run one after another, so each carries the revision the previous one produced
//   (the server refuses a save based on a stale revision: that is how edits in another tab are caught);
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
  var draftUrl = form.getAttribute('data-draft-url');
  var csrf = form.querySelector('input[name="_csrf"]').value;
  var revInput = form.querySelector('input[name="rev"]');
  var statusEl = document.getElementById('save-status');

  var TYPING_DELAY_MS = 1200;
  var CHOICE_DELAY_MS = 400;
  var RETRY_MS = 5000;

  var timer = null;
  var dirty = false;
  var blocked = false; // the visit changed elsewhere or left the editable states: stop autosaving
  var uploading = 0;
  var queue = Promise.resolve();

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

  /** Saves and uploads one at a time, in order. */
  function exclusive(task) {
    var run = queue.then(task, task);
    queue = run.then(
      function () {},
      function () {},
    );
    return run;
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

  function readJson(res) {
    return res.json().then(
      function (body) {
        return { res: res, body: body || {} };
      },
      function () {
        return { res: res, body: {} };
      },
    );
  }

  function doSave() {
    if (blocked) return Promise.resolve(false);
    show(text.saving, 'saving');
    return fetch(draftUrl, {
      method: 'POST',
      credentials: 'same-origin',
      keepalive: document.visibilityState === 'hidden',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(fields()),
    })
      .then(readJson)
      .then(
        function (r) {
          if (r.res.ok) {
            setRev(r.body.rev);
            clearMarks();
            showEvidence(r.body.evidence);
            // Changes made while this save was on its way are not saved yet.
            if (dirty) show(text.saving, 'pending');
            else
              show(
                fill(text.saved, {
                  time: new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }),
                }),
                'ok',
              );
            return true;
          }
          var error = r.body.error || {};
          if (r.res.status === 409) {
            blocked = true;
            show(
              error.code === 'conflict' ? text.conflict : fill(text.failed, { message: error.message || r.res.status }),
              'bad',
            );
            return false;
          }
          markErrors(error.fields);
          show(fill(text.failed, { message: error.message || r.res.status }), 'bad');
          return false;
        },
        function () {
          dirty = true;
          show(text.offline, 'bad');
          schedule(RETRY_MS);
          return false;
        },
      );
  }

  /** Saves now if anything changed; resolves when this and everything queued before it is done. */
  function save() {
    clearTimeout(timer);
    timer = null;
    if (!dirty || blocked)
      return exclusive(function () {
        return true;
      });
    dirty = false;
    return exclusive(doSave);
  }

  function schedule(delay) {
    dirty = true;
    if (statusEl && !blocked) statusEl.setAttribute('data-state', 'pending');
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

  // Save and Submit wait for pending saves and uploads, so the form posts the latest revision.
  var passing = false;
  form.addEventListener('submit', function (ev) {
    if (passing || blocked) return;
    ev.preventDefault();
    var submitter = ev.submitter;
    save().then(function () {
      // Not from inside this submit event's dispatch (promise callbacks may run before it ends),
      // where the browser ignores a new submission.
      setTimeout(function () {
        passing = true;
        if (form.requestSubmit) form.requestSubmit(submitter || undefined);
        else form.submit();
      }, 0);
    });
  });

  // A phone may drop the page at any time once it is hidden: send what is pending now (in turn, so
  // that it carries the latest revision; keepalive lets it finish if the page goes away).
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden' && dirty) save();
  });

  window.addEventListener('beforeunload', function (ev) {
    if (uploading > 0) {
      ev.preventDefault();
      ev.returnValue = '';
    }
  });

  // The evidence uploads (public/visit-evidence.js) go through the same queue and revision.
  window.VisitForm = {
    exclusive: exclusive,
    setRev: setRev,
    markEvidence: markEvidence,
    fill: fill,
    text: text,
    csrf: csrf,
    uploading: function (delta) {
      uploading += delta;
    },
  };
})();
