// Evidence on the visit form: files upload as soon as they are picked, each with a progress bar,
// one after another with the form's saves (each carries the revision the previous one produced).
// A file picked under a failed evidence-on-failure item names that item. Needs public/visit-form.js.
(function () {
  'use strict';
  var VF = window.VisitForm;
  if (!VF) return;

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

  function showUploaded(li, file) {
    li.className = 'v-file';
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
    size.className = 'muted';
    size.textContent = ' ' + file.kb + ' KB · ' + (VF.text.upload_done || '');
    name.appendChild(link);
    name.appendChild(size);
    var item = file.itemKey && document.getElementById('item-' + file.itemKey);
    if (item) {
      var forItem = document.createElement('small');
      forItem.className = 'v-file-item';
      forItem.textContent = VF.fill(VF.text.evidence_for, { item: item.querySelector('.v-item-text').textContent });
      name.appendChild(document.createElement('br'));
      name.appendChild(forItem);
    }
    li.appendChild(name);
    li.appendChild(removeForm(file.url));
  }

  function upload(file, itemKey) {
    var li = document.createElement('li');
    li.className = 'v-file v-uploading';
    var label = document.createElement('span');
    label.className = 'v-file-name';
    label.textContent = VF.fill(VF.text.upload_uploading, { name: file.name });
    var bar = document.createElement('progress');
    bar.className = 'v-progress';
    bar.max = 100;
    bar.value = 0;
    li.appendChild(label);
    li.appendChild(bar);
    list.appendChild(li);
    VF.uploading(1);
    return VF.exclusive(function () {
      return new Promise(function (resolve) {
        var xhr = new XMLHttpRequest();
        var fail = function (message) {
          li.className = 'v-file v-upload-failed';
          label.textContent = VF.fill(VF.text.upload_failed, { message: message });
          bar.remove();
          resolve(false);
        };
        xhr.open('POST', upForm.action);
        xhr.setRequestHeader('Accept', 'application/json');
        xhr.setRequestHeader('X-CSRF-Token', VF.csrf);
        xhr.upload.addEventListener('progress', function (e) {
          if (e.lengthComputable) bar.value = Math.round((e.loaded * 100) / e.total);
        });
        xhr.addEventListener('load', function () {
          var body;
          try {
            body = JSON.parse(xhr.responseText);
          } catch (e) {
            body = {};
          }
          if (xhr.status === 201) {
            VF.setRev(body.rev);
            showUploaded(li, body);
            var box =
              body.itemKey && document.querySelector('.v-evidence-ask[data-evidence-for="' + body.itemKey + '"]');
            if (box) VF.markEvidence(box, !box.hidden, true);
            resolve(true);
          } else {
            fail((body.error && body.error.message) || xhr.status);
          }
        });
        xhr.addEventListener('error', function () {
          fail(VF.text.offline || 'network error');
        });
        var data = new FormData();
        if (itemKey) data.append('itemKey', itemKey);
        data.append('file', file, file.name);
        xhr.send(data);
      });
    }).then(function (ok) {
      VF.uploading(-1);
      return ok;
    });
  }

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
