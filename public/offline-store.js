// The phone's store for the send queue (SPEC §9 "Offline"): IndexedDB through idb
// (/static/vendor/idb/umd.js). Two object stores: `items`, every write of a visit form in the order it
// was made (draft saves, arrive / leave, evidence files as Blobs, submit), each with its own
// Idempotency-Key made once, here, and kept with it; and `visits`, per visit the revision the platform
// last answered (`baseRev`), the phone's latest copy of the form, and a held conflict if any.
// Sending is public/offline-queue.js's; this file only keeps.
(function () {
  'use strict';
  if (!window.indexedDB || !window.idb || !window.fetch) return;

  var ctx = { userId: '', csrf: '' };
  var listeners = [];
  var onQueued = function () {};

  var dbp = window.idb.openDB('msa-offline', 1, {
    upgrade: function (db) {
      var items = db.createObjectStore('items', { keyPath: 'seq', autoIncrement: true });
      items.createIndex('visitId', 'visitId');
      // What still waits, per user, in the order it was made (index keys end with the primary key):
      // the sender reads only the heads it needs instead of every item, sent files included.
      items.createIndex('waiting', ['state', 'userId']);
      db.createObjectStore('visits', { keyPath: 'visitId' });
    },
  });
  var WAITING = function () {
    return IDBKeyRange.only(['queued', ctx.userId]);
  };
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
   * A visit started on this phone (`new-<assignmentId>`) has no revision until the platform made it;
   * once it has, its record has moved to the platform's id and the form follows it there.
   */
  async function initVisit(visitId, pageRev) {
    if (isLocal(visitId)) {
      var local = await visitRecord(visitId);
      if (local.movedTo) return visitRecord(local.movedTo);
      if (!local.local) return startVisit(visitId.slice(4), null);
      return local;
    }
    var rec = await visitRecord(visitId);
    var waiting = (await itemsOf(visitId)).filter(unsent).length;
    if (rec.baseRev === null || (!waiting && !rec.hold && pageRev > rec.baseRev)) {
      if (rec.baseRev !== null && pageRev > rec.baseRev) rec.fields = null; // the platform's copy is newer
      rec.baseRev = pageRev;
    }
    rec.userId = ctx.userId;
    return putVisit(rec);
  }

  function isLocal(visitId) {
    return /^new-[a-f0-9]{24}$/.test(String(visitId));
  }

  /**
   * Starting a visit on this phone (SPEC §9 "Offline"): the visit's record under the phone's id and,
   * first in its queue, the item that makes it on the platform, with its own Idempotency-Key (`key`:
   * the one the list already tried online, if any). Starting twice opens the same one.
   */
  async function startVisit(assignmentId, fields, key) {
    var visitId = 'new-' + assignmentId;
    var rec = await visitRecord(visitId);
    if (rec.local || rec.movedTo) return rec.movedTo ? visitRecord(rec.movedTo) : rec;
    rec.local = { assignmentId: assignmentId };
    rec.userId = ctx.userId;
    if (fields) rec.fields = fields;
    await putVisit(rec);
    await append(visitId, { kind: 'create', key: key });
    return rec;
  }

  /**
   * The platform made the visit: everything queued behind its start now belongs to the platform's id
   * (one transaction), and the phone's id points there, so a form opened at the phone's id follows.
   */
  async function moveVisit(from, to, rev) {
    var db = await dbp;
    var tx = db.transaction(['items', 'visits'], 'readwrite');
    var items = await tx.objectStore('items').index('visitId').getAll(from);
    for (var n = 0; n < items.length; n++) {
      items[n].visitId = to;
      await tx.objectStore('items').put(items[n]);
    }
    var old = (await tx.objectStore('visits').get(from)) || {};
    var rec = Object.assign({}, old, { visitId: to, baseRev: rev, local: null, startedAs: from, hold: null });
    await tx.objectStore('visits').put(rec);
    await tx.objectStore('visits').put({ visitId: from, userId: old.userId, movedTo: to });
    await tx.done;
    emit({ type: 'moved', from: from, to: to });
    emit({ type: 'visit', visit: rec });
    return rec;
  }

  async function append(visitId, item) {
    var db = await dbp;
    item.visitId = visitId;
    item.userId = ctx.userId;
    item.key = item.key || newKey();
    item.state = 'queued';
    item.tried = false;
    item.createdAt = new Date().toISOString();
    item.seq = await db.add('items', item);
    emit({ type: 'item', item: item, state: 'queued' });
    onQueued();
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
      onQueued();
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

  async function markItem(item, state, extra) {
    var db = await dbp;
    Object.assign(item, extra || {}, { state: state });
    if (state === 'sent') delete item.blob; // the platform has it; the list keeps only its answer
    // A file stays listed (sent, or why not); the other kinds are done once answered.
    if (item.kind === 'file') await db.put('items', item);
    else await db.delete('items', item.seq);
    emit({ type: 'item', item: item, state: state });
  }

  /**
   * The first waiting item of each visit that may send (not held, its revision known), oldest first,
   * at most `limit`: one read transaction over the 'waiting' index, stopping as soon as it has them.
   */
  async function heads(limit) {
    var db = await dbp;
    var tx = db.transaction(['items', 'visits']);
    var seen = {};
    var out = [];
    var cursor = await tx.objectStore('items').index('waiting').openCursor(WAITING());
    while (cursor && out.length < limit) {
      var item = cursor.value;
      if (!seen[item.visitId]) {
        seen[item.visitId] = true;
        var rec = await tx.objectStore('visits').get(item.visitId);
        // A visit started on this phone sends nothing before the item that makes it on the platform.
        var sendable = rec && !rec.hold && (rec.baseRev !== null || item.kind === 'create');
        if (sendable) out.push({ item: item, rec: rec });
      }
      cursor = await cursor.continue();
    }
    return out;
  }

  async function waitingCount() {
    var db = await dbp;
    return db.countFromIndex('items', 'waiting', WAITING());
  }

  /** What waits on this phone for other users (kept for their next sign-in here, never sent as this one). */
  async function othersWaiting() {
    var db = await dbp;
    var all = await db.countFromIndex('items', 'waiting', IDBKeyRange.bound(['queued'], ['queued', []]));
    return all - (await waitingCount());
  }

  /** The user chose to keep the platform's version: the phone's copy and files of this visit go. */
  async function drop(visitId) {
    var db = await dbp;
    var items = await itemsOf(visitId);
    for (var n = 0; n < items.length; n++) await db.delete('items', items[n].seq);
    await db.delete('visits', visitId);
    emit({ type: 'dropped', visitId: visitId });
  }

  /**
   * The auditor removes a file not sent yet. Never tried: it simply goes. Tried (part of it may be on
   * the platform): it becomes a cancel, sent in its turn, which deletes the half-sent upload there.
   */
  async function removeFile(seq) {
    var db = await dbp;
    var item = await db.get('items', seq);
    if (!item || item.kind !== 'file' || item.state === 'sent') return;
    if (!item.tried) await db.delete('items', seq);
    else {
      item.kind = 'cancel';
      item.state = 'queued';
      await db.put('items', item);
      onQueued();
    }
    emit({ type: 'item', item: item, state: 'removed' });
  }

  /** A sent file the platform's own page now lists needs no record on the phone. */
  async function forget(seq) {
    var db = await dbp;
    await db.delete('items', seq);
  }

  window.OfflineStore = {
    ctx: ctx,
    db: dbp,
    emit: emit,
    subscribe: function (fn) {
      listeners.push(fn);
    },
    whenQueued: function (fn) {
      onQueued = fn;
    },
    unsent: unsent,
    initVisit: initVisit,
    isLocal: isLocal,
    startVisit: startVisit,
    moveVisit: moveVisit,
    newKey: newKey,
    othersWaiting: othersWaiting,
    visit: visitRecord,
    putVisit: putVisit,
    items: itemsOf,
    saveDraft: saveDraft,
    addFile: addFile,
    addLocation: addLocation,
    addSubmit: addSubmit,
    markItem: markItem,
    heads: heads,
    drop: drop,
    forget: forget,
    removeFile: removeFile,
    waitingCount: waitingCount,
  };
})();
