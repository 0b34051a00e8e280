// How the phone's send queue (public/offline-queue.js) sends an evidence file and cancels a half-sent
// one (SPEC §9 "Offline", issue 16): through the resumable upload of public/resumable-upload.js where
// the page has it, or the whole file in one request where it has not. Split from the queue so that
// each stays readable; the queue hands over its session (csrf) through OfflineStore.ctx.
(function () {
  'use strict';
  var S = window.OfflineStore;
  if (!S) return;
  var ctx = S.ctx;

  /**
   * THE file-sending step: through the resumable upload of public/resumable-upload.js (issue 16:
   * a dropped connection costs only the part under way, and a later round resumes at the offset the
   * server kept for this Idempotency-Key), or the whole file in one request where that script is
   * missing. Resolves the attachment's JSON; rejects with {status, body} (status 0: no connection).
   * The resumable client tries a few times itself; after that the queue's own retry takes over.
   */
  function send(visitId, blob, opts) {
    if (window.ResumableUpload) return sendResumable(visitId, blob, opts);
    return sendWhole(visitId, blob, opts);
  }

  function sendResumable(visitId, blob, opts) {
    return window.ResumableUpload.send(visitId, blob, {
      name: opts.name,
      itemKey: opts.itemKey,
      idempotencyKey: opts.idempotencyKey,
      csrf: ctx.csrf,
      maxTries: 3,
      onCreated: opts.onCreated,
      onProgress: function (p) {
        if (opts.onProgress && p && p.total) opts.onProgress(p.sent / p.total);
      },
    }).catch(function (e) {
      var status = e && typeof e.status === 'number' ? e.status : 0;
      throw { status: status, body: { error: { code: e && e.code, message: e && e.message } } };
    });
  }

  function sendWhole(visitId, blob, opts) {
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

  /** A file removed after it may have been half sent: its upload on the platform is cancelled. */
  async function cancelUpload(item) {
    if (!window.ResumableUpload) return { status: 204, body: {} };
    var status = await window.ResumableUpload.cancel(item.visitId, item.blob, {
      uploadId: item.uploadId,
      idempotencyKey: item.key,
      name: item.name,
      itemKey: item.itemKey,
      csrf: ctx.csrf,
    });
    return { status: status, body: {} };
  }

  window.OfflineFiles = { send: send, cancel: cancelUpload };
})();
