// Questionnaire editor. Without JavaScript the form works as it is: every item card shows every
// field, a blank card per section adds an item, blank option and band rows add those. With it:
// - each card shows only the fields of its type (options for choice and multiple choice, range,
//   unit and bands for numbers), and "add" buttons add items, options and bands;
// - a condition's item box says which answers that item can have;
// - the phone preview beside the form follows every change: the server checks the whole form with
//   the same rules as saving (conditions only point backwards, bands ascend, option keys unique…)
//   and sends back the phone form's own controls, or the problems to fix.
(function () {
  'use strict';
  var form = document.getElementById('q-editor');
  if (!form || !window.fetch || !window.FormData) return;
  var preview = document.getElementById('q-preview');
  var keysList = document.getElementById('q-keys');
  var PREVIEW_DELAY_MS = 600;

  // ---- type-specific fields ----

  function typeOf(card) {
    var select = card.querySelector('select.q-type');
    return select ? select.value : 'yes_no';
  }

  function showTypeFields(card) {
    var type = typeOf(card);
    card.setAttribute('data-type', type);
    card.querySelectorAll('.q-for-number').forEach(function (el) {
      el.hidden = type !== 'number';
    });
    card.querySelectorAll('.q-for-options').forEach(function (el) {
      el.hidden = type !== 'choice' && type !== 'multi';
    });
    card.querySelectorAll('.q-scored').forEach(function (el) {
      el.hidden = type === 'text';
    });
  }

  // ---- adding cards and rows: a copy of the last one, emptied and renumbered ----

  function emptied(node) {
    node.classList.remove('invalid');
    node.querySelectorAll('.q-row-errors').forEach(function (el) {
      el.remove();
    });
    node.querySelectorAll('input, select, textarea').forEach(function (el) {
      el.classList.remove('bad');
      if (el.type === 'checkbox') el.checked = /\.required$/.test(el.name);
      else if (el.tagName === 'SELECT') el.selectedIndex = 0;
      else el.value = '';
    });
    return node;
  }

  function nextNumber(nodes, attr) {
    var next = 0;
    nodes.forEach(function (n) {
      var v = Number(n.getAttribute(attr));
      if (v >= next) next = v + 1;
    });
    return next;
  }

  function addCard(section) {
    var list = section.querySelector('.q-items');
    var cards = list.querySelectorAll(':scope > fieldset.q-item');
    var last = cards[cards.length - 1];
    if (!last) return;
    var n = nextNumber(cards, 'data-row');
    var card = emptied(last.cloneNode(true));
    card.setAttribute('data-row', String(n));
    card.querySelector('.q-n').textContent = String(n);
    card.querySelector('.q-item-key').textContent = '';
    card.querySelectorAll('[name]').forEach(function (el) {
      el.name = el.name.replace(/^(i\.[a-z_]+\.)\d+\./, '$1' + n + '.');
    });
    list.appendChild(card);
    wireCard(card);
    card.querySelector('input.q-key').focus();
  }

  function addSubRow(card, rowSelector, attr, letter) {
    var rows = card.querySelectorAll(rowSelector);
    var last = rows[rows.length - 1];
    if (!last) return;
    var m = nextNumber(rows, attr);
    var row = emptied(last.cloneNode(true));
    row.setAttribute(attr, String(m));
    row.querySelectorAll('[name]').forEach(function (el) {
      el.name = el.name.replace(new RegExp('(\\.' + letter + '\\.)\\d+\\.'), '$1' + m + '.');
    });
    last.parentNode.appendChild(row);
    row.querySelector('input').focus();
  }

  // ---- conditions: which answers the named item can have ----

  function cardByKey(key) {
    var found = null;
    form.querySelectorAll('fieldset.q-item').forEach(function (card) {
      var input = card.querySelector('input.q-key');
      if (input && input.value.trim() === key) found = card;
    });
    return found;
  }

  function possibleAnswers(card) {
    var type = typeOf(card);
    var na = card.querySelector('input[name$=".na"]');
    var out =
      type === 'yes_no'
        ? ['yes', 'no']
        : type === 'scale'
          ? ['1', '2', '3', '4', '5']
          : type === 'choice' || type === 'multi'
            ? Array.prototype.slice
                .call(card.querySelectorAll('.q-option input[name$=".key"]'))
                .map(function (i) {
                  return i.value.trim();
                })
                .filter(Boolean)
            : [];
    if (na && na.checked && out.length) out.push('na');
    return out;
  }

  function conditionHint(card) {
    var item = card.querySelector('input.q-if-item');
    var hint = card.querySelector('.q-if-hint');
    if (!item || !hint) return;
    var ref = item.value.trim() ? cardByKey(item.value.trim()) : null;
    var values = ref ? possibleAnswers(ref) : [];
    hint.textContent = values.length ? values.join(', ') : '';
  }

  function refreshKeys() {
    if (!keysList) return;
    keysList.textContent = '';
    form.querySelectorAll('input.q-key').forEach(function (input) {
      if (!input.value.trim()) return;
      var option = document.createElement('option');
      option.value = input.value.trim();
      keysList.appendChild(option);
    });
  }

  function wireCard(card) {
    showTypeFields(card);
    conditionHint(card);
    var addOption = card.querySelector('.q-add-option');
    var addBand = card.querySelector('.q-add-band');
    if (addOption) {
      addOption.hidden = false;
      addOption.onclick = function () {
        addSubRow(card, '.q-option', 'data-option', 'o');
      };
    }
    if (addBand) {
      addBand.hidden = false;
      addBand.onclick = function () {
        addSubRow(card, '.q-band[data-band]', 'data-band', 'b');
      };
    }
  }

  form.querySelectorAll('fieldset.q-item').forEach(wireCard);
  form.querySelectorAll('fieldset.q-section').forEach(function (section) {
    var button = section.querySelector('button.q-add');
    if (!button) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      addCard(section);
    });
  });

  // ---- the live check and phone preview ----

  var timer = null;
  var seq = 0;
  if (window.FormItems && preview) window.FormItems.enhance(preview);

  function refreshPreview() {
    var mine = ++seq;
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === 'string') body.append(key, value);
    });
    fetch(form.getAttribute('data-preview-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString(),
    })
      .then(function (res) {
        return res.ok ? res.json() : null;
      })
      .then(function (r) {
        // Only the answer to the latest change is shown.
        if (!r || mine !== seq || !preview) return;
        preview.innerHTML = r.html;
        if (window.FormItems) window.FormItems.applyConditions(preview);
      })
      .catch(function () {});
  }

  function changed(ev) {
    var t = ev.target;
    var card = t && t.closest ? t.closest('fieldset.q-item') : null;
    if (card && t.classList.contains('q-type')) showTypeFields(card);
    if (card && t.classList.contains('q-key')) {
      card.querySelector('.q-item-key').textContent = t.value.trim();
      refreshKeys();
    }
    form.querySelectorAll('fieldset.q-item').forEach(conditionHint);
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
  }
  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
})();
