// Skip logic of SPEC.md section 10 on the phone: the same rule as server/rules/conditions.ts
// (test/form-conditions.test.ts holds the two to each other on random questionnaires).
// An item with showIf {item, in} is shown when that earlier item is shown and its answer is one of
// the values (a multiple choice: any of them chosen); one pass in questionnaire order.
(function (root, factory) {
  'use strict';
  var api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.FormConditions = api;
})(this, function () {
  'use strict';

  function conditionMet(condition, answer) {
    if (answer === undefined || answer === null) return false;
    if (Array.isArray(answer))
      return answer.some(function (chosen) {
        return condition.in.indexOf(chosen) !== -1;
      });
    return condition.in.indexOf(answer) !== -1;
  }

  /** items: [{key, showIf}] in questionnaire order; answers: {key: value}. Returns {key: true} of shown items. */
  function shownKeys(items, answers) {
    var shown = {};
    items.forEach(function (item) {
      var c = item.showIf;
      if (!c || (shown[c.item] === true && conditionMet(c, answers[c.item]))) shown[item.key] = true;
    });
    return shown;
  }

  return { conditionMet: conditionMet, shownKeys: shownKeys };
});
