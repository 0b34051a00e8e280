// Warnings while typing on the visit form (SPEC §4, §9): they warn, never block. The times compared
// are datetime-local strings in the bank's zone, as the page renders them, read here as if they were
// UTC so that no time-zone table is needed in the browser; "now" is the server's at render time plus
// the time the page has been open.
(function () {
  'use strict';
  var form = document.getElementById('visit-form');
  if (!form) return;
  var input = form.querySelector('input[name="visitedAt"]');
  var warning = document.getElementById('time-warning');
  var confirmBox = document.getElementById('confirm-window');
  if (!input || !warning) return;

  var text = {};
  try {
    text = JSON.parse(form.getAttribute('data-text') || '{}');
  } catch (e) {
    text = {};
  }
  var loadedAt = Date.now();
  var SKEW_MS = 5 * 60 * 1000;

  function naive(local) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local || '');
    return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]) : NaN;
  }

  function check() {
    var at = naive(input.value);
    var start = naive(form.getAttribute('data-window-start'));
    var end = naive(form.getAttribute('data-window-end'));
    var now = naive(form.getAttribute('data-now')) + (Date.now() - loadedAt);
    var messages = [];
    var outside = !isNaN(at) && !isNaN(start) && !isNaN(end) && (at < start || at > end);
    if (outside) messages.push(text.warn_outside_window);
    if (!isNaN(at) && !isNaN(now) && at > now + SKEW_MS) messages.push(text.warn_future);
    warning.textContent = messages.join(' ');
    warning.hidden = messages.length === 0;
    if (confirmBox && outside) confirmBox.hidden = false;
  }

  input.addEventListener('input', check);
  input.addEventListener('change', check);
  check();
})();
