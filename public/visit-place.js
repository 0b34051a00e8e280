// "Arrived" / "Left" on the visit form (SPEC §9): the browser's Geolocation API gives the position,
// its accuracy and the device time; a refusal is recorded too (the reviewer sees "no location").
// The answer carries the warnings of the reviewer's own rule. They warn, never block.
(function () {
  'use strict';
  var card = document.getElementById('place');
  var form = document.getElementById('visit-form');
  if (!card || !form || !window.fetch) return;
  var url = card.getAttribute('data-location-url');
  var csrf = form.querySelector('input[name="_csrf"]').value;
  var warnings = document.getElementById('place-warnings');
  var text = {};
  try {
    text = JSON.parse(form.getAttribute('data-text') || '{}');
  } catch (e) {
    text = {};
  }

  function key() {
    return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }

  function showWarnings(list) {
    warnings.textContent = '';
    (list || []).forEach(function (w) {
      var li = document.createElement('li');
      li.textContent = w;
      warnings.appendChild(li);
    });
    warnings.hidden = !list || list.length === 0;
  }

  function send(kind, body, state, button) {
    var idempotencyKey = key();
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        'X-CSRF-Token': csrf,
        'Idempotency-Key': idempotencyKey,
      },
      body: JSON.stringify(body),
    })
      .then(function (res) {
        return res.json().then(function (data) {
          if (!res.ok) throw new Error((data.error && data.error.message) || String(res.status));
          return data;
        });
      })
      .then(function (data) {
        state.textContent = body.refused
          ? text.place_refused
          : text.place_sent + ' (±' + Math.round(body.accuracy) + ' m)';
        showWarnings(data.warnings);
      })
      .catch(function () {
        state.textContent = text.place_failed;
      })
      .then(function () {
        button.disabled = false;
      });
  }

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
