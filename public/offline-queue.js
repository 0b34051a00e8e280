// The phone's send queue (SPEC §9 "Offline"). Every write of the visit form — draft saves, arrive /
// leave, evidence files, submit — is first stored in IndexedDB (through idb, /static/vendor/idb/umd.js)
// and then sent in order, each with its own Idempotency-Key kept with the queued item, so a retry
// whose first answer was lost re-sends the same key and the server answers it without a second copy.
//
// - Per visit, items go strictly in the order they were made; different visits share LANES senders.
// - A draft carries the revision the phone last saw the platform answer (`baseRev`); the platform
//   refuses it (409) if someone else wrote since — then that visit "holds": nothing more of it is
//   sent, the phone's copy stays, and the form explains (public/visit-sync.js). Files and positions
//   commute with other changes, but an answer whose revision skipped one tells the same story.
// - Network errors and 5xx answers wait and retry (growing pauses, and at once when the browser
//   says it is online again); an expired sign-in stops everything until the user signs in again.
// - One tab sends at a time (Web Locks); the others only queue.
(function () {
  'use strict';
  if (!window.indexedDB || !window.idb || !window.fetch) return;

  var LANES = 3;
  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 8000;

  var ctx = { userId: '', csrf: '' };
  var listeners = [];
  var pumping = null;
  var retryTimer = null;
  var retryMs = RETRY_MIN_MS;
  var net = 'idle'; // idle | sending | offline | signin

  var dbp = window.idb.openDB('msa-offline', 1, {
    upgrade: function (db) {
      var items = db.createObjectStore('items', { keyPath: 'seq', autoIncrement: true });
      items.createIndex('visitId', 'visitId');
      db.createObjectStore('visits', { keyPath: 'visitId' });
    },
  });
  // Ask the browser not to evict what is queued when the phone runs short of space.
  if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return 'k-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2);
  }

  function emit(event) {
    listeners.forEach(function (fn) {
      try {
        fn(event);
      } catch (e) {
        setTimeout(function () {
          throw e;
        });
      }
    });
  }

  function setNet(state) {
    if (net === state) return;
    net = state;
    emit({ type: 'net', state: state });
  }

  async function visitRecord(visitId) {
    var db = await dbp;
    return (await db.get('visits', visitId)) || { visitId: visitId, userId: ctx.userId, baseRev: null, hold: null };
  }

  async function putVisit(rec) {
    var db = await dbp;
    await db.put('visits', rec);
    emit({ type: 'visit', visit: rec });
    return rec;
  }

  async function itemsOf(visitId) {
    var db = await dbp;
    return db.getAllFromIndex('items', 'visitId', visitId);
  }

  var unsent = function (i) {
    return i.state === 'queued';
  };

  /**
   * Opening a form: the revision the platform last answered. A page newer than the phone's record
   * (saved from elsewhere, nothing waiting here) moves it on; a page older (opened from the cache) does not.
   */
  async function initVisit(visitId, pageRev) {
    var rec = await visitRecord(visitId);
    var waiting = (await itemsOf(visitId)).filter(unsent).length;
    if (rec.baseRev === null || (!waiting && !rec.hold && pageRev > rec.baseRev)) {
      if (rec.baseRev !== null && pageRev > rec.baseRev) rec.fields = null; // the platform's copy is newer
      rec.baseRev = pageRev;
    }
    rec.userId = ctx.userId;
    return putVisit(rec);
  }

  async function append(visitId, item) {
    var db = await dbp;
    item.visitId = visitId;
    item.userId = ctx.userId;
    item.key = newKey();
    item.state = 'queued';
    item.tried = false;
    item.createdAt = new Date().toISOString();
    item.seq = await db.add('items', item);
    emit({ type: 'item', item: item, state: 'queued' });
    pump();
    return item;
  }

  /**
   * A draft is the whole form. While the last queued item of the visit is a draft never tried, it is
   * replaced (the newer answers supersede it); once tried, its key may have reached the platform, so
   * a new item follows it.
   */
  async function saveDraft(visitId, fields) {
    var rec = await visitRecord(visitId);
    rec.fields = fields;
    rec.fieldsAt = new Date().toISOString();
    await putVisit(rec);
    var db = await dbp;
    var last = (await itemsOf(visitId)).filter(unsent).pop();
    if (last && last.kind === 'draft' && !last.tried) {
      last.body = fields;
      await db.put('items', last);
      emit({ type: 'item', item: last, state: 'queued' });
      pump();
      return last;
    }
    return append(visitId, { kind: 'draft', body: fields });
  }

  function addFile(visitId, blob, opts) {
    return append(visitId, {
      kind: 'file',
      blob: blob,
      name: opts.name || blob.name || 'file',
      type: blob.type || '',
      size: blob.size,
      itemKey: opts.itemKey || '',
    });
  }

  function addLocation(visitId, body) {
    return append(visitId, { kind: 'location', body: body });
  }

  function addSubmit(visitId) {
    return append(visitId, { kind: 'submit' });
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

  /**
   * THE file-sending step (one function, so that it can be swapped for the resumable upload of
   * public/resumable-upload.js: same arguments, same promise of the attachment's JSON). Sends the
   * whole file with its Idempotency-Key; rejects with {status, body} (status 0: no connection).
   */
  function sendFile(visitId, blob, opts) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', '/visits/' + encodeURIComponent(visitId) + '/attachments');
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('X-CSRF-Token', ctx.csrf);
      xhr.setRequestHeader('Idempotency-Key', opts.idempotencyKey);
      xhr.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable && opts.onProgress) opts.onProgress(e.loaded / e.total);
      });
      xhr.addEventListener('load', function () {
        var body;
        try {
          body = JSON.parse(xhr.responseText) || {};
        } catch (e) {
          body = {};
        }
        if (xhr.status === 201) resolve(body);
        else reject({ status: xhr.status, body: body });
      });
      xhr.addEventListener('error', function () {
        reject({ status: 0, body: {} });
      });
      var data = new FormData();
      if (opts.itemKey) data.append('itemKey', opts.itemKey);
      data.append('file', blob, opts.name);
      xhr.send(data);
    });
  }

  async function sendItem(item, rec) {
    var base = '/visits/' + encodeURIComponent(item.visitId);
    if (item.kind === 'file') {
      try {
        var body = await sendFile(item.visitId, item.blob, {
          name: item.name,
          itemKey: item.itemKey,
          idempotencyKey: item.key,
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
    return post(base + '/submit', item);
  }

  async function markItem(item, state, extra) {
    var db = await dbp;
    Object.assign(item, extra || {}, { state: state });
    if (state === 'sent') delete item.blob; // the platform has it; the list keeps only its answer
    // A file stays listed (sent, or why not); the other kinds are done once answered.
    if (item.kind === 'file') await db.put('items', item);
    else await db.delete('items', item.seq);
    emit({ type: 'item', item: item, state: state });
  }

  async function hold(rec, code, message) {
    var state = {};
    try {
      var res = await fetch('/visits/' + encodeURIComponent(rec.visitId) + '/state', {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      if (res.ok) state = await res.json();
    } catch (e) {
      state = {};
    }
    rec.hold = {
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
    // Read again: the form may have saved newer answers into the record while this was on its way.
    var rec = await visitRecord(item.visitId);
    rec.baseRev = sentWith.baseRev;
    var error = (r.body && r.body.error) || {};
    if (r.status === 0 || r.status >= 500 || error.code === 'idempotency_in_progress') return 'wait';
    if (r.status === 401 || (r.status === 403 && error.code === 'csrf_failed')) return 'signin';
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

  /** The first waiting item of each visit that may send, oldest first, at most LANES. */
  async function heads() {
    var db = await dbp;
    var all = (await db.getAll('items')).filter(function (i) {
      return unsent(i) && i.userId === ctx.userId;
    });
    var visits = {};
    var out = [];
    for (var n = 0; n < all.length && out.length < LANES; n++) {
      var i = all[n];
      if (visits[i.visitId]) continue;
      visits[i.visitId] = true;
      var rec = await visitRecord(i.visitId);
      if (!rec.hold && rec.baseRev !== null) out.push({ item: i, rec: rec });
    }
    return out;
  }

  async function sendOne(h) {
    var db = await dbp;
    h.item.tried = true;
    await db.put('items', h.item);
    emit({ type: 'item', item: h.item, state: 'sending', progress: 0 });
    var r = await sendItem(h.item, h.rec);
    var outcome = await settle(h.item, h.rec, r);
    // Not answered: it waits on the phone again.
    if (outcome !== 'ok') emit({ type: 'item', item: h.item, state: 'queued' });
    return outcome;
  }

  async function loop() {
    for (;;) {
      var next = await heads();
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
    return !rec.hold && (await itemsOf(visitId)).filter(unsent).length === 0;
  }

  /** The user's choice after a conflict: send the phone's copy over the platform's, or drop it. */
  async function resolve(visitId, choice) {
    var rec = await visitRecord(visitId);
    if (choice === 'send') {
      if (rec.hold && typeof rec.hold.rev === 'number') rec.baseRev = rec.hold.rev;
      rec.hold = null;
      await putVisit(rec);
      return pump();
    }
    var db = await dbp;
    var items = await itemsOf(visitId);
    for (var n = 0; n < items.length; n++) await db.delete('items', items[n].seq);
    await db.delete('visits', visitId);
    emit({ type: 'dropped', visitId: visitId });
  }

  /** A sent file the platform's own page now lists needs no record on the phone. */
  async function forget(seq) {
    var db = await dbp;
    await db.delete('items', seq);
  }

  async function waitingCount() {
    var db = await dbp;
    return (await db.getAll('items')).filter(function (i) {
      return unsent(i) && i.userId === ctx.userId;
    }).length;
  }

  window.addEventListener('online', function () {
    retryMs = RETRY_MIN_MS;
    pump();
  });

  window.OfflineQueue = {
    configure: function (c) {
      ctx.userId = c.userId || ctx.userId;
      ctx.csrf = c.csrf || ctx.csrf;
      pump();
    },
    subscribe: function (fn) {
      listeners.push(fn);
    },
    net: function () {
      return net;
    },
    initVisit: initVisit,
    visit: visitRecord,
    items: itemsOf,
    saveDraft: saveDraft,
    addFile: addFile,
    addLocation: addLocation,
    addSubmit: addSubmit,
    pump: pump,
    flush: flush,
    resolve: resolve,
    forget: forget,
    waitingCount: waitingCount,
    sendFile: sendFile,
  };
})();
