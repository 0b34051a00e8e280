// The phone's send queue (SPEC §9 "Offline"). Every write of the visit form — draft saves, arrive /
// leave, evidence files, submit — is first kept in IndexedDB (public/offline-store.js, through idb)
// and then sent from here in order, each with its own Idempotency-Key kept with the queued item, so a retry
// whose first answer was lost re-sends the same key and the server answers it without a second copy.
//
// - Per visit, items go strictly in the order they were made; different visits share LANES senders.
// - A draft carries the revision the phone last saw the platform answer (`baseRev`); the platform
//   refuses it (409) if someone else wrote since — then that visit "holds": nothing more of it is
//   sent, the phone's copy stays, and the form explains (public/visit-sync.js). Files and positions
//   carry no revision: before a visit's first one goes, the platform's revision is asked, and an
//   answer whose revision skipped one tells the same story.
// - Network errors and 5xx answers wait and retry (growing pauses, and at once when the browser
//   says it is online again); an expired sign-in stops everything until the user signs in again.
// - One tab sends at a time (Web Locks); the others only queue.
(function () {
  'use strict';
  var S = window.OfflineStore;
  var Files = window.OfflineFiles;
  if (!S || !Files || !window.fetch) return;

  var LANES = 3;
  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 8000;

  var ctx = S.ctx;
  var emit = S.emit;
  var visitRecord = S.visit;
  var putVisit = S.putVisit;
  var markItem = S.markItem;
  var pumping = null;
  var retryTimer = null;
  var retryMs = RETRY_MIN_MS;
  var net = 'idle'; // idle | sending | offline | signin

  function setNet(state) {
    if (net === state) return;
    net = state;
    emit({ type: 'net', state: state });
  }

  // ---- sending

  function headers(item, json) {
    var h = { Accept: 'application/json', 'X-CSRF-Token': ctx.csrf, 'Idempotency-Key': item.key };
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }

  /** One answer as {status, body}; a network failure as status 0. */
  async function post(url, item, body) {
    try {
      var res = await fetch(url, {
        method: 'POST',
        credentials: 'same-origin',
        headers: headers(item, body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      var data = await res.json().catch(function () {
        return {};
      });
      return { status: res.status, body: data || {} };
    } catch (e) {
      return { status: 0, body: {} };
    }
  }

  async function sendItem(item, rec) {
    var base = '/visits/' + encodeURIComponent(item.visitId);
    if (item.kind === 'file') {
      try {
        var body = await Files.send(item.visitId, item.blob, {
          name: item.name,
          itemKey: item.itemKey,
          idempotencyKey: item.key,
          // Kept with the item: removing the file later cancels this upload on the platform.
          onCreated: function (upload) {
            if (!upload || !upload.id || item.uploadId === upload.id) return;
            item.uploadId = upload.id;
            S.db.then(function (db) {
              return db.put('items', item);
            });
          },
          onProgress: function (share) {
            emit({ type: 'item', item: item, state: 'sending', progress: share });
          },
        });
        return { status: 201, body: body };
      } catch (r) {
        return r && typeof r.status === 'number' ? r : { status: 0, body: {} };
      }
    }
    if (item.kind === 'draft') {
      var fields = Object.assign({}, item.body, { rev: String(rec.baseRev) });
      return post(base + '/draft', item, fields);
    }
    if (item.kind === 'location') return post(base + '/location', item, item.body);
    if (item.kind === 'cancel') return Files.cancel(item);
    if (item.kind === 'create') {
      var latest = await visitRecord(item.visitId); // the form may have changed the time since
      return post('/assignments/' + latest.local.assignmentId + '/visit', item, startBody(latest));
    }
    return post(base + '/submit', item);
  }

  /** A visit started on the phone is made with the form's latest visit time and duration (as typed). */
  function startBody(rec) {
    var f = rec.fields || {};
    var body = { visitedAt: f.visitedAt || '', durationMinutes: f.durationMinutes || '' };
    if (f.confirmOutsideWindow || rec.confirmOutside) body.confirmOutsideWindow = '1';
    return body;
  }

  /**
   * The platform's answer to a visit started on the phone: made (everything behind it moves to the
   * platform's id and goes on), or refused — then it holds, everything stays on the phone, and the form
   * says why: the assignment has a visit already, is no longer this auditor's, or the time or duration
   * was not accepted (corrected in the form, then tried again with the same key).
   */
  async function settleCreate(item, r) {
    var rec = await visitRecord(item.visitId);
    var error = (r.body && r.body.error) || {};
    if (r.status === 201 && r.body.id) {
      await markItem(item, 'sent', { result: r.body });
      await S.moveVisit(item.visitId, r.body.id, r.body.rev);
      return 'ok';
    }
    var detail = (error.details || []).filter(function (d) {
      return d && d.visitId;
    })[0];
    var code = 'refused';
    if (error.code === 'visit_exists') code = 'exists';
    else if (r.status === 404 || r.status === 403) code = 'withdrawn';
    await hold(rec, code, error.message || String(r.status), {
      errorCode: error.code || '',
      existing: detail ? String(detail.visitId) : '',
    });
    return 'ok';
  }

  /** The visit as the platform has it now ({} when it cannot be asked; status 0 without a connection). */
  async function platformState(visitId) {
    try {
      var res = await fetch('/visits/' + encodeURIComponent(visitId) + '/state', {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      var json = /json/.test(res.headers.get('Content-Type') || '');
      // Sent to the sign-in page instead of an answer: the session is gone.
      if (res.redirected || !json) return { status: 401, body: {} };
      return { status: res.status, body: res.ok ? await res.json() : {} };
    } catch (e) {
      return { status: 0, body: {} };
    }
  }

  async function hold(rec, code, message, known) {
    var state = known || (await platformState(rec.visitId)).body;
    rec.hold = {
      errorCode: state.errorCode || '',
      existing: state.existing || '',
      code: code,
      message: message || '',
      status: state.status || '',
      statusLabel: state.statusLabel || '',
      reviewNote: state.reviewNote || '',
      rev: typeof state.rev === 'number' ? state.rev : null,
      at: new Date().toISOString(),
    };
    await putVisit(rec);
  }

  /** The platform's answer to one item: what it changes on the phone. Returns 'ok', 'wait' or 'signin'. */
  async function settle(item, sentWith, r) {
    var error = (r.body && r.body.error) || {};
    if (r.status === 0 || r.status >= 500 || error.code === 'idempotency_in_progress') return 'wait';
    // An expired session answers the CSRF check's 403 (as a page, not JSON) or 401: sign in again.
    if (r.status === 401 || (r.status === 403 && (!error.code || error.code === 'csrf_failed'))) return 'signin';
    if (item.kind === 'create') return settleCreate(item, r);
    // Cancelled, already gone (404), or attached before the cancel arrived (409: the platform's list
    // shows it, and it is removed there): nothing more to do on the phone either way.
    if (item.kind === 'cancel') {
      await markItem(item, 'sent', {});
      return 'ok';
    }
    // Read again: the form may have saved newer answers into the record while this was on its way.
    var rec = await visitRecord(item.visitId);
    rec.baseRev = sentWith.baseRev;
    if (r.status >= 200 && r.status < 300) {
      var rev = r.body.rev;
      // A file or a position does not carry the phone's revision: a jump means someone else wrote.
      var skipped = item.kind !== 'draft' && typeof rev === 'number' && rev !== rec.baseRev + 1;
      if (typeof rev === 'number') rec.baseRev = rev;
      if (item.kind === 'draft') rec.rejected = null;
      if (item.kind === 'submit') rec.submitted = true;
      rec.sentAt = new Date().toISOString();
      await markItem(item, 'sent', { result: r.body });
      if (skipped) await hold(rec, 'conflict');
      else await putVisit(rec);
      return 'ok';
    }
    if (r.status === 409 && (error.code === 'conflict' || error.code === 'invalid_state')) {
      await hold(rec, error.code === 'conflict' ? 'conflict' : 'closed', error.message);
      return 'ok';
    }
    if (r.status === 404 || r.status === 403) {
      await hold(rec, 'closed', error.message);
      return 'ok';
    }
    // Refused as it is (a field the rules refuse, a missing item at submit, a file type): the item
    // stops here, the phone's copy stays, and the form says what to correct.
    rec.rejected = { kind: item.kind, message: error.message || String(r.status), fields: error.fields || {} };
    await markItem(item, 'failed', { error: rec.rejected.message });
    await putVisit(rec);
    return 'ok';
  }

  /** One item out: marked tried first (from then on its key may have reached the platform). */
  /**
   * Before the first file or position of a visit in this page is sent: has the platform's copy moved
   * since the phone's revision? A draft needs no asking (the platform compares its revision itself).
   * Returns 'ok' to go on, 'held' (a conflict, nothing sent), or 'wait' / 'signin' as settle does.
   */
  var checked = {};
  async function checkFirst(h) {
    var kind = h.item.kind;
    if (kind === 'draft' || kind === 'create' || kind === 'cancel' || checked[h.item.visitId]) return 'ok';
    var r = await platformState(h.item.visitId);
    if (r.status === 0 || r.status >= 500) return 'wait';
    if (r.status === 401 || r.status === 403) return 'signin';
    var rec = await visitRecord(h.item.visitId);
    if (r.status === 404 || r.body.rev !== rec.baseRev) {
      await hold(rec, r.status === 404 ? 'closed' : 'conflict', '', r.body);
      return 'held';
    }
    checked[h.item.visitId] = true;
    return 'ok';
  }

  async function sendOne(h) {
    var first = await checkFirst(h);
    if (first === 'held') return 'ok';
    if (first !== 'ok') return first;
    h.item.tried = true;
    await (await S.db).put('items', h.item);
    emit({ type: 'item', item: h.item, state: 'sending', progress: 0 });
    var r = await sendItem(h.item, h.rec);
    var outcome = await settle(h.item, h.rec, r);
    // Not answered: it waits on the phone again.
    if (outcome !== 'ok') emit({ type: 'item', item: h.item, state: 'queued' });
    return outcome;
  }

  async function loop() {
    for (;;) {
      var next = await S.heads(LANES);
      if (!next.length) {
        setNet('idle');
        retryMs = RETRY_MIN_MS;
        return;
      }
      setNet('sending');
      var outcomes = await Promise.all(next.map(sendOne));
      if (outcomes.indexOf('signin') !== -1) return setNet('signin');
      if (outcomes.indexOf('wait') !== -1) {
        setNet('offline');
        clearTimeout(retryTimer);
        retryTimer = setTimeout(pump, retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        return;
      }
      retryMs = RETRY_MIN_MS;
    }
  }

  /** Sends what waits; resolves when nothing more can be sent now. */
  function pump() {
    if (!ctx.csrf) return Promise.resolve();
    if (pumping) return pumping;
    var run =
      navigator.locks && navigator.locks.request
        ? navigator.locks.request('msa-offline-send', { ifAvailable: true }, function (lock) {
            return lock ? loop() : undefined;
          })
        : loop();
    pumping = Promise.resolve(run)
      .catch(function () {
        setNet('offline');
      })
      .then(function () {
        pumping = null;
      });
    return pumping;
  }

  /** Everything of this visit sent now? (Used before the form's own Save / Submit post.) */
  async function flush(visitId) {
    await pump();
    var rec = await visitRecord(visitId);
    return !rec.hold && (await S.items(visitId)).filter(S.unsent).length === 0;
  }

  /** The user's choice after a conflict: send the phone's copy over the platform's, or drop it. */
  async function resolve(visitId, choice) {
    var rec = await visitRecord(visitId);
    if (choice === 'confirm') rec.confirmOutside = true;
    if (choice === 'send' || choice === 'confirm') {
      if (rec.hold && typeof rec.hold.rev === 'number') rec.baseRev = rec.hold.rev;
      checked[visitId] = false; // asked again before a file goes, in case it moved once more
      rec.hold = null;
      await putVisit(rec);
      return pump();
    }
    return S.drop(visitId);
  }

  window.addEventListener('online', function () {
    retryMs = RETRY_MIN_MS;
    pump();
  });

  S.whenQueued(pump);

  window.OfflineQueue = {
    configure: function (c) {
      ctx.userId = c.userId || ctx.userId;
      ctx.csrf = c.csrf || ctx.csrf;
      pump();
    },
    subscribe: S.subscribe,
    net: function () {
      return net;
    },
    initVisit: S.initVisit,
    isLocal: S.isLocal,
    startVisit: S.startVisit,
    newKey: S.newKey,
    othersWaiting: S.othersWaiting,
    visit: S.visit,
    items: S.items,
    saveDraft: S.saveDraft,
    addFile: S.addFile,
    addLocation: S.addLocation,
    addSubmit: S.addSubmit,
    forget: S.forget,
    removeFile: S.removeFile,
    waitingCount: S.waitingCount,
    pump: pump,
    flush: flush,
    resolve: resolve,
    sendFile: Files.send,
  };
})();
