// Questionnaire item controls (views/partials/items/item.hbs) on the phone form and in the
// questionnaire editor's preview: items appear and disappear as conditions change (the answers of
// items that disappear are cleared, and the page is told which), "none of these" and N/A exclude
// the options they contradict. Uses public/form-conditions.js.
(function () {
  'use strict';
  if (!window.FormConditions) return;

  function itemsOf(container) {
    return Array.prototype.slice.call(container.querySelectorAll('fieldset.v-item[data-item]'));
  }

  function conditionOf(fieldset) {
    var raw = fieldset.getAttribute('data-show-if');
    if (!raw) return null;
    try {
      return JSON.parse(raw);
    } catch (e) {
      return null;
    }
  }

  /** The item's current answer as the rules read it: 'na', a value, the chosen options, or undefined. */
  function answerOf(fieldset) {
    var key = fieldset.getAttribute('data-item');
    var type = fieldset.getAttribute('data-type');
    var na = fieldset.querySelector('input[name="a.' + key + ':_na"]');
    if (na && na.checked) return 'na';
    if (type === 'multi') {
      var chosen = [];
      var any = false;
      fieldset.querySelectorAll('.v-checks input[type="checkbox"]').forEach(function (box) {
        if (!box.checked) return;
        any = true;
        var option = box.name.slice(('a.' + key + ':').length);
        if (option !== '_none') chosen.push(option);
      });
      return any ? chosen : undefined;
    }
    var radio = fieldset.querySelector('input[type="radio"]:checked');
    if (radio) {
      if (radio.value === '') return undefined;
      if (radio.value === 'na') return 'na';
      return type === 'scale' ? Number(radio.value) : radio.value;
    }
    var field = fieldset.querySelector('[name="a.' + key + '"]:not([type="radio"])');
    if (field && field.value.trim() !== '') return type === 'number' ? Number(field.value) : field.value;
    return undefined;
  }

  function clearAnswer(fieldset) {
    var had = answerOf(fieldset) !== undefined;
    fieldset.querySelectorAll('input, textarea').forEach(function (el) {
      if (el.name && el.name.indexOf('c.') === 0) return; // comments stay: they are not answers
      if (el.type === 'radio' || el.type === 'checkbox') el.checked = el.type === 'radio' && el.value === '';
      else if (el.type !== 'file') el.value = '';
    });
    return had;
  }

  function textOf(fieldset) {
    var t = fieldset.querySelector('.v-item-text');
    return t ? t.textContent : fieldset.getAttribute('data-item');
  }

  /** Applies the conditions; returns the texts of the items whose answers were cleared. */
  function applyConditions(container) {
    var items = itemsOf(container);
    var answers = {};
    var list = items.map(function (f) {
      var key = f.getAttribute('data-item');
      answers[key] = answerOf(f);
      return { key: key, showIf: conditionOf(f) };
    });
    var shown = window.FormConditions.shownKeys(list, answers);
    var cleared = [];
    items.forEach(function (f) {
      var show = shown[f.getAttribute('data-item')] === true;
      if (!show && clearAnswer(f)) cleared.push(textOf(f));
      f.hidden = !show;
    });
    return cleared;
  }

  /** "None of these" and N/A untick the options; an option unticks them. */
  function exclusive(target) {
    var fieldset = target.closest && target.closest('fieldset.v-item');
    if (!fieldset || target.type !== 'checkbox' || !target.checked) return;
    var key = fieldset.getAttribute('data-item');
    var prefix = 'a.' + key + ':';
    var special = target.name === prefix + '_none' || target.name === prefix + '_na';
    fieldset.querySelectorAll('input[type="checkbox"]').forEach(function (box) {
      if (box === target || box.name.indexOf(prefix) !== 0) return;
      var boxSpecial = box.name === prefix + '_none' || box.name === prefix + '_na';
      if (special || boxSpecial) box.checked = false;
    });
    if (target.name === prefix + '_na') {
      var field = fieldset.querySelector('[name="a.' + key + '"]');
      if (field && field.type !== 'radio') field.value = '';
    }
  }

  /** Counts the shown items of each section that have an answer. */
  function counts(container) {
    var out = [];
    container.querySelectorAll('.v-section').forEach(function (section) {
      var shown = itemsOf(section).filter(function (f) {
        return !f.hidden;
      });
      var answered = shown.filter(function (f) {
        return answerOf(f) !== undefined;
      }).length;
      out.push({ section: section, answered: answered, total: shown.length });
    });
    return out;
  }

  /**
   * Enhances the items inside `container`. opts.onCleared(texts) is told which answers a change
   * cleared; opts.onChange() runs after every change of an answer.
   */
  function enhance(container, opts) {
    opts = opts || {};
    applyConditions(container);
    container.addEventListener('change', function (ev) {
      var t = ev.target;
      if (!t || !t.name || t.name.indexOf('a.') !== 0) return;
      exclusive(t);
      var cleared = applyConditions(container);
      if (cleared.length && opts.onCleared) opts.onCleared(cleared, t);
      if (opts.onChange) opts.onChange();
    });
  }

  window.FormItems = { enhance: enhance, answerOf: answerOf, applyConditions: applyConditions, counts: counts };
})();
