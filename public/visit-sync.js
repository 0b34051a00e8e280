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
  var visitId = VF.visitId;
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

  function showConflict(hold) {
    box.textContent = '';
    box.hidden = !hold;
    if (!hold) return;
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
    open.href = '/visits/' + visitId;
    open.target = '_blank';
    open.rel = 'noopener';
    actions.appendChild(open);
    if (!closed) {
      var send = el('button', 'primary', word('offline.conflict.send'));
      send.type = 'button';
      send.id = 'sync-send-anyway';
      send.addEventListener('click', function () {
        Q.resolve(visitId, 'send').then(refresh);
      });
      actions.appendChild(send);
    }
    var drop = el('button', 'link', word('offline.conflict.drop'));
    drop.type = 'button';
    drop.addEventListener('click', function () {
      if (window.confirm(word('offline.conflict.drop_confirm')))
        Q.resolve(visitId, 'drop').then(function () {
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
        return Promise.all([Q.visit(visitId), Q.items(visitId)]);
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
        var n = { n: waiting.length };
        if (rec.hold) return VF.show(word('offline.state.held'), 'held');
        if (rec.rejected && rec.rejected.kind === 'draft')
          return VF.show(word('failed', { message: rec.rejected.message }), 'bad');
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
    if (e.type === 'visit' && e.visit.visitId !== visitId) return;
    if (e.type === 'item' && (e.item.visitId !== visitId || e.state === 'sending')) return;
    if (e.type === 'item' && e.item.kind === 'submit' && e.state === 'sent') {
      say('offline.submit.sent', {}, 'ok');
      setTimeout(function () {
        location.assign('/visits/' + visitId);
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
