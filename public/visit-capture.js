// Capture on the phone (SPEC §9): "Take a photo" opens the camera (a file input with capture), and
// "Record audio" records in the page with MediaRecorder (start / stop, the time shown). Both go
// straight to the visit through the phone's queue (public/visit-evidence.js → offline-queue.js),
// naming the item chosen in "Which item does it support?". Needs public/visit-evidence.js.
(function () {
  'use strict';
  var VF = window.VisitForm;
  var VE = window.VisitEvidence;
  var card = document.getElementById('capture');
  if (!VF || !VE || !card) return;
  card.hidden = false;
  var t = VF.text;
  var photo = document.getElementById('capture-photo');
  var recordButton = document.getElementById('capture-record');
  var recordState = document.getElementById('capture-record-state');

  function itemKey() {
    return VE.itemSelect ? VE.itemSelect.value : '';
  }

  photo.addEventListener('change', function () {
    var files = Array.prototype.slice.call(photo.files || []);
    var key = itemKey();
    photo.value = '';
    files.forEach(function (f) {
      VE.add(f, key);
    });
  });

  // ---- audio

  /** The first container this browser records that the platform accepts by content (WebM, Ogg, MP4). */
  var TYPES = [
    'audio/webm;codecs=opus',
    'audio/webm',
    'audio/ogg;codecs=opus',
    'audio/mp4;codecs=mp4a.40.2',
    'audio/mp4',
  ];
  var EXT = { webm: 'webm', ogg: 'ogg', mp4: 'm4a' };

  function chosenType() {
    if (!window.MediaRecorder || !MediaRecorder.isTypeSupported) return null;
    for (var n = 0; n < TYPES.length; n++) if (MediaRecorder.isTypeSupported(TYPES[n])) return TYPES[n];
    return null;
  }

  var mime = navigator.mediaDevices && navigator.mediaDevices.getUserMedia ? chosenType() : null;
  if (!mime) {
    recordButton.hidden = true;
    recordState.textContent = t['offline.capture.no_audio'];
    return;
  }

  var recorder = null;
  var chunks = [];
  var startedAt = 0;
  var ticker = null;

  function clock(ms) {
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
  }

  function stamp(d) {
    var p = function (n) {
      return String(n).padStart(2, '0');
    };
    return (
      d.getFullYear() +
      p(d.getMonth() + 1) +
      p(d.getDate()) +
      '-' +
      p(d.getHours()) +
      p(d.getMinutes()) +
      p(d.getSeconds())
    );
  }

  function showTime() {
    recordState.textContent = VF.fill(t['offline.capture.recording'], { time: clock(Date.now() - startedAt) });
  }

  function start() {
    navigator.mediaDevices.getUserMedia({ audio: true }).then(
      function (stream) {
        chunks = [];
        recorder = new MediaRecorder(stream, { mimeType: mime });
        var key = itemKey();
        recorder.addEventListener('dataavailable', function (e) {
          if (e.data && e.data.size) chunks.push(e.data);
        });
        recorder.addEventListener('stop', function () {
          stream.getTracks().forEach(function (track) {
            track.stop();
          });
          clearInterval(ticker);
          var took = Date.now() - startedAt;
          var type = recorder.mimeType || mime;
          var blob = new Blob(chunks, { type: type.split(';')[0] });
          var ext = EXT[type.split('/')[1].split(';')[0]] || 'webm';
          var name = 'audio-' + stamp(new Date(startedAt)) + '.' + ext;
          recordState.textContent = VF.fill(t['offline.capture.recorded'], { time: clock(took) });
          recordButton.textContent = t['offline.capture.record'];
          recordButton.setAttribute('aria-pressed', 'false');
          recorder = null;
          VE.add(new File([blob], name, { type: blob.type }), key);
        });
        startedAt = Date.now();
        recorder.start(1000);
        recordButton.textContent = t['offline.capture.stop'];
        recordButton.setAttribute('aria-pressed', 'true');
        showTime();
        ticker = setInterval(showTime, 500);
      },
      function () {
        recordState.textContent = t['offline.capture.mic_refused'];
      },
    );
  }

  recordButton.addEventListener('click', function () {
    if (recorder && recorder.state === 'recording') recorder.stop();
    else if (!recorder) start();
  });
})();
