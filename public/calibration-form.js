// A calibration case's form (views/pages/calibration/round.hbs): the visit form's item controls with
// their conditions (public/form-items.js). Items appear and disappear as the answers they depend on
// change; when an item disappears its answer is cleared and, as on the visit form, a note under the
// item that changed says which. Without this script the form still works: the server drops answers
// to items that are not asked.
(function () {
  'use strict';
  if (!window.FormItems) return;
  document.querySelectorAll('form.cal-answers').forEach(function (form) {
    var template = form.getAttribute('data-cleared') || '{items}';
    window.FormItems.enhance(form, {
      onCleared: function (texts, target) {
        form.querySelectorAll('.v-cleared').forEach(function (el) {
          el.remove();
        });
        var at = target && target.closest ? target.closest('fieldset.v-item') : null;
        if (!at) return;
        var note = document.createElement('p');
        note.className = 'v-cleared';
        note.setAttribute('role', 'status');
        note.textContent = template.replace('{items}', texts.join('、'));
        at.appendChild(note);
      },
    });
  });
})();
