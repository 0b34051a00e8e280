// Evidence on the visit form: a file picked (or captured: public/visit-capture.js) is kept on the
// phone at once and sent in turn with the form's saves (public/offline-queue.js); each row says
// whether it is on this phone, being sent (with a progress bar), sent, or refused and why.
// A file picked under a failed evidence-on-failure item names that item. Needs public/visit-form.js.
(function () {
  'use strict';
  var VF = window.VisitForm;
  var Q = window.OfflineQueue;
  if (!VF || !Q) return;

  var upForm = document.getElementById('evidence-form');
  var list = document.getElementById('evidence-list');
  if (!upForm || !list || !window.XMLHttpRequest) return;
  var fileInput = upForm.querySelector('input[type="file"]');
  var itemSelect = upForm.querySelector('select[name="itemKey"]');
  var uploadButton = upForm.querySelector('.v-upload-button');
  if (uploadButton) uploadButton.hidden = true;
  fileInput.multiple = true;
  document.querySelectorAll('.v-ev-upload').forEach(function (b) {
    b.hidden = true;
  });

  function removeForm(url) {
    var f = document.createElement('form');
    f.method = 'post';
    f.action = url + '/remove';
    f.className = 'inline';
    var token = document.createElement('input');
    token.type = 'hidden';
    token.name = '_csrf';
    token.value = VF.csrf;
    var button = document.createElement('button');
    button.type = 'submit';
    button.className = 'link';
    button.textContent = VF.text.remove || 'Remove';
    f.appendChild(token);
    f.appendChild(button);
    return f;
  }

  /** The platform's answer as the list shows it (the web route's, or a bare attachment's). */
  function linkOf(file) {
    var url = file.url || '/visits/' + VF.visitId + '/attachments/' + file.id;
    var type = file.contentType || '';
    var image = file.image !== undefined ? file.image : /^image\/(jpeg|png|webp)$/.test(type);
    return {
      url: url,
      image: image,
      filename: file.filename,
      kb: file.kb || Math.max(1, Math.round(file.size / 1024)),
    };
  }

  function itemNote(name, itemKey) {
    var item = itemKey && document.getElementById('item-' + itemKey);
    if (!item) return;
    var forItem = document.createElement('small');
    forItem.className = 'v-file-item';
    forItem.textContent = VF.fill(VF.text.evidence_for, { item: item.querySelector('.v-item-text').textContent });
    name.appendChild(document.createElement('br'));
    name.appendChild(forItem);
  }

  function showUploaded(li, answer, itemKey) {
    var file = linkOf(answer);
    li.className = 'v-file v-file-sent';
    li.setAttribute('data-sync', 'sent');
    li.textContent = '';
    if (file.image) {
      var a = document.createElement('a');
      a.href = file.url;
      a.target = '_blank';
      a.rel = 'noopener';
      var img = document.createElement('img');
      img.className = 'v-thumb';
      img.src = file.url;
      img.alt = file.filename;
      a.appendChild(img);
      li.appendChild(a);
    } else {
      var icon = document.createElement('span');
      icon.className = 'v-thumb v-thumb-file';
      icon.textContent = '📄';
      li.appendChild(icon);
    }
    var name = document.createElement('span');
    name.className = 'v-file-name';
    var link = document.createElement('a');
    link.href = file.url;
    link.textContent = file.filename;
    var size = document.createElement('small');
    size.className = 'v-file-state';
    size.textContent = ' ' + file.kb + ' KB · ' + VF.text['offline.file.sent'];
    name.appendChild(link);
    name.appendChild(size);
    itemNote(name, answer.itemKey || itemKey);
    li.appendChild(name);
    li.appendChild(removeForm(file.url));
  }

  /** A file kept on this phone: its name, its state in words, a progress bar while it is sent. */
  function rowOf(item) {
    var li = list.querySelector('li[data-seq="' + item.seq + '"]');
    if (li) return li;
    li = document.createElement('li');
    li.setAttribute('data-seq', String(item.seq));
    var label = document.createElement('span');
    label.className = 'v-file-name';
    var name = document.createElement('span');
    name.textContent = item.name + ' (' + Math.max(1, Math.round(item.size / 1024)) + ' KB)';
    var state = document.createElement('small');
    state.className = 'v-file-state';
    label.appendChild(name);
    label.appendChild(document.createElement('br'));
    label.appendChild(state);
    itemNote(label, item.itemKey);
    li.appendChild(label);
    // Not wanted after all: removed from the phone, and a half-sent upload is cancelled on the platform.
    var drop = document.createElement('button');
    drop.type = 'button';
    drop.className = 'link v-file-drop';
    drop.textContent = VF.text.remove || 'Remove';
    drop.addEventListener('click', function () {
      drop.disabled = true;
      Q.removeFile(item.seq);
    });
    li.appendChild(drop);
    list.appendChild(li);
    return li;
  }

  function showItem(item, state, progress) {
    if (item.kind !== 'file' || item.visitId !== VF.visitId) return;
    var li = rowOf(item);
    if (state === 'sent') {
      showUploaded(li, item.result || {}, item.itemKey);
      var box = item.itemKey && document.querySelector('.v-evidence-ask[data-evidence-for="' + item.itemKey + '"]');
      if (box) VF.markEvidence(box, !box.hidden, true);
      return;
    }
    var words = li.querySelector('.v-file-state');
    var bar = li.querySelector('progress');
    var drop = li.querySelector('.v-file-drop');
    if (drop) drop.hidden = state === 'sending';
    li.setAttribute('data-sync', state);
    if (state === 'failed') {
      li.className = 'v-file v-upload-failed';
      words.textContent = VF.fill(VF.text['offline.file.failed'], { message: item.error || '' });
    } else if (state === 'sending') {
      li.className = 'v-file v-uploading';
      words.textContent = VF.text['offline.file.sending'];
      if (!bar) {
        bar = document.createElement('progress');
        bar.className = 'v-progress';
        bar.max = 100;
        li.appendChild(bar);
      }
      bar.value = Math.round((progress || 0) * 100);
    } else {
      li.className = 'v-file v-file-phone';
      words.textContent = VF.text['offline.file.phone'];
      if (bar) bar.remove();
    }
  }

  /** Kept on the phone first, then sent in turn (public/offline-queue.js). */
  function upload(file, itemKey) {
    // What was typed before the photo goes before it (the autosave may still be waiting for a pause).
    return VF.saveFirst().then(function () {
      return Q.addFile(VF.visitId, file, { name: file.name, itemKey: itemKey });
    });
  }

  Q.subscribe(function (e) {
    if (e.type === 'item' && e.state === 'removed') {
      var gone = list.querySelector('li[data-seq="' + e.item.seq + '"]');
      if (gone) gone.remove();
      return;
    }
    if (e.type === 'item') showItem(e.item, e.state, e.progress);
  });

  // Files of this visit still on the phone (or sent since this page was kept) are listed after the
  // platform's; a sent file the platform's list already shows is forgotten on the phone.
  VF.ready.then(function () {
    return Q.items(VF.visitId).then(function (items) {
      items.forEach(function (item) {
        if (item.kind !== 'file') return;
        var id = item.result && item.result.id;
        if (item.state === 'sent' && id && list.querySelector('a[href$="/attachments/' + id + '"]'))
          return Q.forget(item.seq);
        showItem(item, item.state);
      });
    });
  });

  window.VisitEvidence = { add: upload, itemSelect: itemSelect };

  upForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
  });
  fileInput.addEventListener('change', function () {
    var files = Array.prototype.slice.call(fileInput.files || []);
    var itemKey = itemSelect ? itemSelect.value : '';
    fileInput.value = '';
    files.forEach(function (f) {
      upload(f, itemKey);
    });
  });

  // A failed evidence-on-failure item's own "attach" control: the file names the item.
  document.querySelectorAll('.v-evidence-ask input[type="file"][data-item]').forEach(function (input) {
    input.addEventListener('change', function () {
      var files = Array.prototype.slice.call(input.files || []);
      var itemKey = input.getAttribute('data-item');
      input.value = '';
      files.forEach(function (f) {
        upload(f, itemKey);
      });
    });
  });
  document.querySelectorAll('form.v-ev-form').forEach(function (f) {
    f.addEventListener('submit', function (ev) {
      ev.preventDefault();
    });
  });
})();
