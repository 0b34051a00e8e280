// Questionnaire editor: an "add item" button per section that appends an empty row.
// Optional — without JavaScript each section already offers a few empty rows.
(function () {
  'use strict';
  document.querySelectorAll('fieldset.q-section').forEach(function (fieldset) {
    var button = fieldset.querySelector('button.q-add');
    var tbody = fieldset.querySelector('table.q-items tbody');
    if (!button || !tbody) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var rows = tbody.querySelectorAll('tr.q-row');
      var last = rows[rows.length - 1];
      if (!last) return;
      var next = rows.length;
      rows.forEach(function (r) {
        var n = Number(r.querySelector('td').textContent);
        if (n >= next) next = n + 1;
      });
      var row = last.cloneNode(true);
      row.classList.remove('invalid');
      row.querySelector('td').textContent = String(next);
      row.querySelectorAll('input, select').forEach(function (el) {
        el.name = el.name.replace(/^(i\.[a-z_]+\.)\d+\./, '$1' + next + '.');
        el.classList.remove('bad');
        if (el.type === 'checkbox') el.checked = /\.required$/.test(el.name);
        else if (el.tagName === 'SELECT') el.selectedIndex = 0;
        else el.value = '';
      });
      tbody.appendChild(row);
      var first = row.querySelector('input.q-key');
      if (first) first.focus();
    });
  });
})();
