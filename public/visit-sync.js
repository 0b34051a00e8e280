// What the visit form says about the phone's queue (SPEC §9 "Offline"): per visit, whether the form
// is kept on this phone or has reached the platform; no connection; an expired sign-in; a submission
// waiting or refused; and a conflict — the visit changed on the platform meanwhile (the reviewer
// returned it, it was edited or submitted elsewhere): sending stops for this visit, the phone's copy
// stays, and this box explains what happened and what to do. Needs public/visit-form.js.
(function () {
  'use strict';
  var VF = window.VisitForm;
  var Q = window.OfflineQueue;
  if (!VF || !Q) return;
  var t = VF.text;
  var box = document.getElementById('sync-conflict');
  var banner = document.getElementById('sync-net');
  var notice = document.getElementById('sync-notice');

  function word(key, vars) {
    return VF.fill(t[key] || key, vars || {});
  }

  function time(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function say(key, vars, kind) {
    notice.hidden = false;
    notice.textContent = word(key, vars);
    notice.className = 'v-sync-notice v-save-' + kind;
  }

  function el(tag, cls, textContent) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (textContent) e.textContent = textContent;
    return e;
  }

  function button(label, onClick, cls) {
    var b = el('button', cls || '', label);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  /**
   * A visit started on this phone that the platform did not make: why, that everything stays on the
   * phone, and what to do (correct the time and try again, confirm a time outside the window, open the
   * visit that exists already, or drop the phone's copy).
   */
  function showStartRefused(hold) {
    box.setAttribute('data-code', 'start-' + hold.code);
    box.appendChild(el('h2', '', word('offline.start.title')));
    var why = hold.code === 'exists' || hold.code === 'withdrawn' ? hold.code : 'refused';
    box.appendChild(el('p', 'v-conflict-what', word('offline.start.' + why, { message: hold.message })));
    box.appendChild(el('p', 'v-conflict-kept', word('offline.conflict.kept')));
    if (why === 'refused') box.appendChild(el('p', '', word('offline.start.todo_refused')));
    var actions = el('p', 'v-conflict-actions');
    if (hold.existing) {
      var open = el('a', 'button', word('offline.start.open_existing'));
      open.href = '/visits/' + hold.existing;
      actions.appendChild(open);
    }
    var retry = function (choice) {
      return function () {
        (VF.save ? VF.save() : Promise.resolve()).then(function () {
          return Q.resolve(VF.visitId, choice).then(refresh);
        });
      };
    };
    if (why === 'refused') actions.appendChild(button(word('offline.start.retry'), retry('send'), 'primary'));
    if (hold.errorCode === 'outside_window')
      actions.appendChild(button(word('offline.start.confirm'), retry('confirm')));
    actions.appendChild(dropButton());
    box.appendChild(actions);
  }

  function dropButton() {
    return button(
      word('offline.conflict.drop'),
      function () {
        if (window.confirm(word('offline.conflict.drop_confirm')))
          Q.resolve(VF.visitId, 'drop').then(function () {
            location.assign('/assignments');
          });
      },
      'link',
    );
  }

  function showConflict(hold) {
    box.textContent = '';
    box.hidden = !hold;
    if (!hold) return;
    if (Q.isLocal(VF.visitId)) return showStartRefused(hold);
    var editable = hold.status === 'draft' || hold.status === 'returned';
    var closed = hold.code === 'closed' || !editable;
    box.setAttribute('data-code', closed ? 'closed' : 'conflict');
    box.appendChild(el('h2', '', word('offline.conflict.title')));
    var what;
    if (hold.status === 'returned' && hold.reviewNote)
      what = word('offline.conflict.returned', { note: hold.reviewNote });
    else what = word(closed ? 'offline.conflict.closed' : 'offline.conflict.changed', { status: hold.statusLabel });
    box.appendChild(el('p', 'v-conflict-what', what));
    box.appendChild(el('p', 'v-conflict-kept', word('offline.conflict.kept')));
    box.appendChild(el('p', '', word(closed ? 'offline.conflict.todo_closed' : 'offline.conflict.todo')));
    var actions = el('p', 'v-conflict-actions');
    var open = el('a', 'button', word('offline.conflict.open'));
    open.href = '/visits/' + VF.visitId;
    open.target = '_blank';
    open.rel = 'noopener';
    actions.appendChild(open);
    if (!closed) {
      var send = el('button', 'primary', word('offline.conflict.send'));
      send.type = 'button';
      send.id = 'sync-send-anyway';
      send.addEventListener('click', function () {
        Q.resolve(VF.visitId, 'send').then(refresh);
      });
      actions.appendChild(send);
    }
    var drop = el('button', 'link', word('offline.conflict.drop'));
    drop.type = 'button';
    drop.addEventListener('click', function () {
      if (window.confirm(word('offline.conflict.drop_confirm')))
        Q.resolve(VF.visitId, 'drop').then(function () {
          location.reload();
        });
    });
    actions.appendChild(drop);
    box.appendChild(actions);
  }

  /** The status line: on the phone (how many wait) or sent; no connection; sign in again; held. */
  function refresh(submitting) {
    // Not before the phone's copy is in the form (VF.ready): a conflict's "send my copy" clicked
    // while the form still shows the platform's answers must not be possible.
    return VF.ready
      .then(function () {
        return Promise.all([Q.visit(VF.visitId), Q.items(VF.visitId)]);
      })
      .then(function (r) {
        var rec = r[0];
        var waiting = r[1].filter(function (i) {
          return i.state === 'queued';
        });
        var net = Q.net();
        showConflict(rec.hold);
        banner.hidden = net !== 'offline' || !waiting.length;
        if (rec.rejected && rec.rejected.kind === 'draft') VF.markErrors(rec.rejected.fields);
        if (rec.rejected && rec.rejected.kind === 'submit')
          say('offline.submit.refused', { message: rec.rejected.message }, 'bad');
        else if (waiting.some((i) => i.kind === 'submit')) say('offline.submit.queued', {}, 'phone');
        else if (submitting !== true) notice.hidden = true;
        if (rec.hold) return VF.show(word('offline.state.held'), 'held');
        if (rec.rejected && rec.rejected.kind === 'draft')
          return VF.show(word('failed', { message: rec.rejected.message }), 'bad');
        var n = { n: waiting.length };
        if (waiting.length && Q.isLocal(VF.visitId) && net !== 'signin') {
          VF.show(word('offline.start.phone', n), 'phone');
          return;
        }
        if (waiting.length) {
          if (net === 'signin') return VF.show(word('offline.state.signin', n), 'signin');
          if (net === 'offline') return VF.show(word('offline.state.offline', n), 'phone');
          if (net === 'sending') return VF.show(word('offline.state.sending', n), 'saving');
          return VF.show(word('offline.state.phone', n), 'phone');
        }
        if (VF.dirty()) return;
        if (rec.sentAt) VF.show(word('offline.state.sent', { time: time(rec.sentAt) }), 'ok');
      });
  }

  Q.subscribe(function (e) {
    if (e.type === 'net') return refresh();
    if (e.type === 'visit' && e.visit.visitId !== VF.visitId) return;
    if (e.type === 'item' && (e.item.visitId !== VF.visitId || e.state === 'sending')) return;
    if (e.type === 'item' && e.item.kind === 'submit' && e.state === 'sent') {
      say('offline.submit.sent', {}, 'ok');
      setTimeout(function () {
        location.assign('/visits/' + VF.visitId);
      }, 400);
      return;
    }
    refresh();
  });
  VF.ready.then(function () {
    refresh();
  });

  window.VisitSync = { refresh: refresh };
})();
