// "Arrived" / "Left" on the visit form (SPEC §9): the browser's Geolocation API gives the position,
// its accuracy and the device time; a refusal is recorded too (the reviewer sees "no location").
// The record is kept on the phone first and sent in turn with the form's other writes, with its own
// Idempotency-Key (public/offline-queue.js); the answer carries the warnings of the reviewer's own
// rule. They warn, never block.
(function () {
  'use strict';
  var card = document.getElementById('place');
  var VF = window.VisitForm;
  var Q = window.OfflineQueue;
  if (!card || !VF || !Q) return;
  var warnings = document.getElementById('place-warnings');
  var text = VF.text;

  function showWarnings(list) {
    warnings.textContent = '';
    (list || []).forEach(function (w) {
      var li = document.createElement('li');
      li.textContent = w;
      warnings.appendChild(li);
    });
    warnings.hidden = !list || list.length === 0;
  }

  function recordedText(body) {
    return body.refused ? text.place_refused : text.place_sent + ' (±' + Math.round(body.accuracy) + ' m)';
  }

  /** Kept on the phone and sent in turn (public/offline-queue.js); the answer carries the warnings. */
  // The button waits for the platform's answer, or for the queue to say there is no connection.
  function enable(kind) {
    var b = card.querySelector('.v-place-btn[data-kind="' + kind + '"]');
    if (b) b.disabled = false;
  }

  function send(kind, body, state, button) {
    // What was typed before the tap goes before it (the autosave may still be waiting for a pause).
    return VF.saveFirst()
      .then(function () {
        return Q.addLocation(VF.visitId, body);
      })
      .then(
        function () {
          state.textContent = recordedText(body) + ' · ' + text['offline.place.phone'];
          if (Q.net() === 'offline' || Q.net() === 'signin') button.disabled = false;
        },
        function () {
          state.textContent = text.place_failed;
          button.disabled = false;
        },
      );
  }

  Q.subscribe(function (e) {
    if (e.type === 'net' && e.state !== 'sending') return ['arrive', 'leave'].forEach(enable);
    if (e.type !== 'item' || e.item.kind !== 'location' || e.item.visitId !== VF.visitId) return;
    var state = card.querySelector('[data-state="' + e.item.body.kind + '"]');
    if (e.state === 'sent') {
      state.textContent = recordedText(e.item.body);
      showWarnings((e.item.result || {}).warnings);
    } else if (e.state === 'failed') state.textContent = text.place_failed;
    if (e.state === 'sent' || e.state === 'failed') enable(e.item.body.kind);
  });

  // Positions taken while this page was kept on the phone, still waiting.
  VF.ready.then(function () {
    return Q.items(VF.visitId).then(function (items) {
      items.forEach(function (i) {
        if (i.kind !== 'location' || i.state !== 'queued') return;
        var state = card.querySelector('[data-state="' + i.body.kind + '"]');
        state.textContent = recordedText(i.body) + ' · ' + text['offline.place.phone'];
      });
    });
  });

  function locate(button) {
    var kind = button.getAttribute('data-kind');
    var state = card.querySelector('[data-state="' + kind + '"]');
    var capturedAt = new Date().toISOString();
    button.disabled = true;
    state.textContent = text.place_locating;
    if (!navigator.geolocation) return send(kind, { kind: kind, refused: true, capturedAt: capturedAt }, state, button);
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        send(
          kind,
          {
            kind: kind,
            lat: pos.coords.latitude,
            lng: pos.coords.longitude,
            accuracy: pos.coords.accuracy,
            capturedAt: new Date(pos.timestamp || Date.now()).toISOString(),
          },
          state,
          button,
        );
      },
      function (err) {
        if (err.code === err.PERMISSION_DENIED)
          return send(kind, { kind: kind, refused: true, capturedAt: capturedAt }, state, button);
        state.textContent = text.place_unavailable;
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 },
    );
  }

  Array.prototype.forEach.call(card.querySelectorAll('.v-place-btn'), function (b) {
    b.addEventListener('click', function () {
      locate(b);
    });
  });
})();
