// Visit form enhancements. Without this script the form still works: Save and Submit post the form,
// and the evidence form uploads one file at a time. With it:
// - the draft is saved to the server as the auditor goes (debounced; JSON to /visits/:id/draft with
//   the CSRF header), with a "saved" indicator;
// - files upload as soon as they are picked, each with a progress bar, and appear in the list;
// - saves and uploads run one after another, so each carries the revision the previous one produced
//   (the server refuses a save based on a stale revision: that is how edits in another tab are caught).
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

  // ---- answered counters per section ----

  function updateCounts() {
    form.querySelectorAll('.v-section').forEach(function (section) {
      var counter = section.querySelector('.v-count');
      if (!counter) return;
      var names = {};
      var answered = 0;
      section.querySelectorAll('input[type="radio"]').forEach(function (r) {
        names[r.name] = true;
        if (r.checked && r.value !== '') answered += 1;
      });
      counter.textContent = fill(text.answered, { answered: answered, total: Object.keys(names).length });
    });
  }

  form.addEventListener('change', function (ev) {
    var t = ev.target;
    if (t && t.type === 'radio') updateCounts();
    schedule(t && (t.type === 'radio' || t.tagName === 'SELECT') ? CHOICE_DELAY_MS : TYPING_DELAY_MS);
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

  // ---- evidence uploads with progress ----

  var upForm = document.getElementById('evidence-form');
  var list = document.getElementById('evidence-list');
  if (!upForm || !list || !window.XMLHttpRequest) return;
  var fileInput = upForm.querySelector('input[type="file"]');
  var uploadButton = upForm.querySelector('.v-upload-button');
  if (uploadButton) uploadButton.hidden = true;
  fileInput.multiple = true;

  function removeForm(url) {
    var f = document.createElement('form');
    f.method = 'post';
    f.action = url + '/remove';
    f.className = 'inline';
    var token = document.createElement('input');
    token.type = 'hidden';
    token.name = '_csrf';
    token.value = csrf;
    var button = document.createElement('button');
    button.type = 'submit';
    button.className = 'link';
    button.textContent = text.remove || 'Remove';
    f.appendChild(token);
    f.appendChild(button);
    return f;
  }

  function showUploaded(li, file) {
    li.className = 'v-file';
    li.textContent = '';
    if (file.image) {
      var a = document.createElement('a');
      a.href = file.url;
      a.target = '_blank';
      a.rel = 'noopener';
      var img = document.createElement('img');
      img.className = 'v-thumb';
      img.src = file.url;
      img.alt = file.filename;
      a.appendChild(img);
      li.appendChild(a);
    } else {
      var icon = document.createElement('span');
      icon.className = 'v-thumb v-thumb-file';
      icon.textContent = '📄';
      li.appendChild(icon);
    }
    var name = document.createElement('span');
    name.className = 'v-file-name';
    var link = document.createElement('a');
    link.href = file.url;
    link.textContent = file.filename;
    var size = document.createElement('small');
    size.className = 'muted';
    size.textContent = ' ' + file.kb + ' KB · ' + (text.upload_done || '');
    name.appendChild(link);
    name.appendChild(size);
    li.appendChild(name);
    li.appendChild(removeForm(file.url));
  }

  function upload(file) {
    var li = document.createElement('li');
    li.className = 'v-file v-uploading';
    var label = document.createElement('span');
    label.className = 'v-file-name';
    label.textContent = fill(text.upload_uploading, { name: file.name });
    var bar = document.createElement('progress');
    bar.className = 'v-progress';
    bar.max = 100;
    bar.value = 0;
    li.appendChild(label);
    li.appendChild(bar);
    list.appendChild(li);
    uploading += 1;
    return exclusive(function () {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        var fail = function (message) {
          li.className = 'v-file v-upload-failed';
          label.textContent = fill(text.upload_failed, { message: message });
          bar.remove();
          resolve(false);
        };
        xhr.open('POST', upForm.action);
        xhr.setRequestHeader('Accept', 'application/json');
        xhr.setRequestHeader('X-CSRF-Token', csrf);
        xhr.upload.addEventListener('progress', function (e) {
          if (e.lengthComputable) bar.value = Math.round((e.loaded * 100) / e.total);
        });
        xhr.addEventListener('load', function () {
          var body;
          try {
            body = JSON.parse(xhr.responseText);
          } catch (e) {
            body = {};
          }
          if (xhr.status === 201) {
            setRev(body.rev);
            showUploaded(li, body);
            resolve(true);
          } else {
            fail((body.error && body.error.message) || xhr.status);
          }
        });
        xhr.addEventListener('error', function () {
          fail(text.offline || 'network error');
        });
        var data = new FormData();
        data.append('file', file, file.name);
        xhr.send(data);
      });
    }).then(function (ok) {
      uploading -= 1;
      return ok;
    });
  }

  upForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
  });
  fileInput.addEventListener('change', function () {
    var files = Array.prototype.slice.call(fileInput.files || []);
    fileInput.value = '';
    files.forEach(upload);
  });
})();
