// Resumable evidence uploads (issue 16): a file is declared, sent in parts at the offset the server
// has stored, and attached once complete. After a network error (a dropped connection, the server
// gone for a moment) it waits with growing pauses, asks the server how much arrived, and sends the
// rest from there; a part cut off half-way is not sent again. The server's protocol is
// docs/uploads.md; the visit form's offline queue calls this (window.ResumableUpload.send).
//
// ResumableUpload.cancel(visitId, blob, { uploadId?, idempotencyKey, name, itemKey }) cancels one.
// ResumableUpload.send(visitId, blob, { name, itemKey, idempotencyKey, onProgress, onCreated }) → Promise of
// the attachment's JSON ({ id, filename, contentType, size, sha256, itemKey?, capturedAt? }).
// It uses the page's web session with its CSRF token (input _csrf or meta csrf-token, or
// options.csrf); options.token sends to the JSON API with a bearer token instead. A refusal (too
// large, not evidence, visit no longer editable) rejects with { status, code, message }.
(function () {
  'use strict';

  var PART_TYPE = 'application/offset+octet-stream';
  var DEFAULTS = { partBytes: 1024 * 1024, firstPauseMs: 500, maxPauseMs: 30000, maxTries: 40 };

  function csrfToken(options) {
    if (options.csrf) return options.csrf;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) return meta.getAttribute('content');
    var input = document.querySelector('input[name="_csrf"]');
    return input ? input.value : '';
  }

  /** A network error or a server that is down or busy: worth trying again. */
  function transient(status) {
    return status === 0 || status === 408 || status === 429 || status >= 500;
  }

  function failure(status, body) {
    var e = (body && body.error) || {};
    var err = new Error(e.message || 'Upload failed (' + status + ')');
    err.status = status;
    err.code = e.code || (status === 0 ? 'network' : 'http_' + status);
    err.details = e.details || [];
    return err;
  }

  function wait(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  /** The requests of one upload to one visit; `o` holds the options with their defaults. */
  function client(visitId, o) {
    var base = o.token ? '/api/v1/visits/' + visitId + '/uploads' : '/visits/' + visitId + '/uploads';
    var csrf = o.token ? '' : csrfToken(o);
    var self = {};

    /** One request; resolves { status, body } (status 0 on a network error), never rejects. */
    self.request = function (method, url, body, contentType, onSent) {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        xhr.open(method, url);
        xhr.setRequestHeader('Accept', 'application/json');
        if (o.token) xhr.setRequestHeader('Authorization', 'Bearer ' + o.token);
        else xhr.setRequestHeader('X-CSRF-Token', csrf);
        if (contentType) xhr.setRequestHeader('Content-Type', contentType);
        if (method === 'POST' && url === base && o.idempotencyKey)
          xhr.setRequestHeader('Idempotency-Key', o.idempotencyKey);
        if (onSent && xhr.upload)
          xhr.upload.onprogress = function (e) {
            onSent(e.loaded);
          };
        xhr.onload = function () {
          var parsed;
          try {
            parsed = JSON.parse(xhr.responseText);
          } catch (e) {
            parsed = null;
          }
          resolve({ status: xhr.status, body: parsed });
        };
        xhr.onerror =
          xhr.ontimeout =
          xhr.onabort =
            function () {
              resolve({ status: 0, body: null });
            };
        xhr.send(body === undefined ? null : body);
      });
    };

    /** Repeats a request through transient failures with growing pauses; rejects on a refusal. */
    self.patiently = function (attempt, accept) {
      var tries = 0;
      function once() {
        return attempt().then(function (r) {
          if (accept(r)) return r;
          if (!transient(r.status) || ++tries >= o.maxTries) throw failure(r.status, r.body);
          var pause = Math.min(o.maxPauseMs, o.firstPauseMs * Math.pow(2, tries - 1));
          return wait(pause * (0.75 + Math.random() * 0.5)).then(once);
        });
      }
      return once();
    };

    self.create = function (blob) {
      var body = { name: o.name || blob.name || 'evidence', size: blob.size };
      // The bare type: a recorder's "audio/webm;codecs=opus" names no type of its own (the content decides).
      var type = (blob.type || '').split(';')[0].trim();
      if (type) body.contentType = type;
      if (o.itemKey) body.itemKey = o.itemKey;
      return this.patiently(
        function () {
          return self.request('POST', base, JSON.stringify(body), 'application/json');
        },
        function (r) {
          return r.status === 201;
        },
      ).then(function (r) {
        if (o.onCreated) o.onCreated(r.body);
        return r.body;
      });
    };

    /** Cancels the upload (its stored parts go); resolves the answer's status (0: no connection). */
    self.cancel = function (id) {
      return self.request('DELETE', base + '/' + id).then(function (r) {
        return r.status;
      });
    };

    /** Where the stored bytes end now (after a drop, or a 409 that named another offset). */
    self.state = function (id) {
      return this.patiently(
        function () {
          return self.request('GET', base + '/' + id);
        },
        function (r) {
          return r.status === 200;
        },
      ).then(function (r) {
        return r.body;
      });
    };

    /** Sends the rest of the file part by part; resolves once every byte is stored. */
    self.sendParts = function (id, blob, offset) {
      var tries = 0;
      function report(at) {
        if (o.onProgress) o.onProgress({ sent: Math.min(at, blob.size), total: blob.size });
      }
      function next(at) {
        report(at);
        if (at >= blob.size) return Promise.resolve(at);
        var end = Math.min(blob.size, at + o.partBytes);
        var url = base + '/' + id + '?offset=' + at;
        return self
          .request('PATCH', url, blob.slice(at, end), PART_TYPE, function (n) {
            report(at + n);
          })
          .then(function (r) {
            if (r.status === 200) {
              tries = 0;
              return next(r.body.offset);
            }
            if (r.status === 409 && r.body && r.body.error && r.body.error.code === 'offset_mismatch')
              return self.state(id).then(function (s) {
                return next(s.offset);
              });
            if (!transient(r.status) || ++tries >= o.maxTries) throw failure(r.status, r.body);
            var pause = Math.min(o.maxPauseMs, o.firstPauseMs * Math.pow(2, tries - 1));
            return wait(pause * (0.75 + Math.random() * 0.5))
              .then(function () {
                return self.state(id);
              })
              .then(function (s) {
                return next(s.offset);
              });
          });
      }
      return next(offset);
    };

    self.complete = function (id) {
      return this.patiently(
        function () {
          return self.request('POST', base + '/' + id + '/complete').then(function (r) {
            // Another completion of the same upload is at work (a retry raced it): ask again shortly.
            if (r.status === 409 && r.body && r.body.error && r.body.error.code === 'upload_completing')
              return { status: 503, body: r.body };
            return r;
          });
        },
        function (r) {
          return r.status === 201;
        },
      ).then(function (r) {
        return r.body;
      });
    };

    return self;
  }

  function send(visitId, blob, options) {
    var o = {};
    var k;
    for (k in DEFAULTS) o[k] = DEFAULTS[k];
    for (k in options || {}) o[k] = options[k];
    var c = client(visitId, o);
    return c.create(blob).then(function (upload) {
      if (upload.status === 'complete' && upload.attachment) return upload.attachment;
      return c
        .sendParts(upload.id, blob, upload.offset)
        .then(function () {
          return c.complete(upload.id);
        })
        .then(function (attachment) {
          if (o.onProgress) o.onProgress({ sent: blob.size, total: blob.size, done: true });
          return attachment;
        });
    });
  }

  /**
   * A file removed after it was (maybe) half sent: the upload is found by its id, or — when the answer
   * that named it was lost — declared again with the same Idempotency-Key, which finds it; then
   * cancelled. Resolves the DELETE's status: 204 cancelled (or already gone), 409 already attached,
   * 0 no connection (try again later).
   */
  function cancel(visitId, blob, options) {
    var o = {};
    var k;
    for (k in DEFAULTS) o[k] = DEFAULTS[k];
    for (k in options || {}) o[k] = options[k];
    o.maxTries = 1;
    var c = client(visitId, o);
    var found = o.uploadId ? Promise.resolve({ id: o.uploadId }) : c.create(blob);
    return found.then(
      function (upload) {
        return c.cancel(upload.id);
      },
      function (e) {
        return e && typeof e.status === 'number' ? e.status : 0;
      },
    );
  }

  window.ResumableUpload = { send: send, cancel: cancel };
})();
