/* Report form: a category's survey questions, shown as soon as the category is chosen, and
   conditional questions ("show when X is Y") shown only while their condition holds.
   Progressive enhancement only: without this file the "Show the questions" button reloads the
   form with the questions, every question is shown, and the server ignores answers to questions
   whose condition does not hold (testigo/surveys/answers.py). The comparison below is the one
   the server makes (testigo/surveys/schema.py condition_holds): the same text, the same number,
   or, for a multiple choice, one of the chosen options. */
(function () {
  "use strict";
  var form = document.querySelector("form.report-form");
  var box = document.getElementById("survey-questions");
  var category = document.getElementById("id_category");
  if (!form || !box || !category) { return; }

  // The answer(s) to a question, as a list of strings; none when the question is hidden,
  // because the server does not keep answers to hidden questions either.
  function answers(name) {
    var values = [];
    Array.prototype.forEach.call(form.querySelectorAll("[name='" + name + "']"), function (input) {
      var field = input.closest(".field");
      if (field && field.hidden) { return; }
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      if (input.value !== "") { values.push(input.value); }
    });
    return values;
  }

  function same(answer, wanted) {
    if (answer === wanted) { return true; }
    // "2,5" is 2.5, as the server reads it (core/numbers.py).
    var a = Number(answer.trim().replace(",", ".")), b = Number(wanted.trim().replace(",", "."));
    return answer.trim() !== "" && wanted.trim() !== "" && isFinite(a) && isFinite(b) && a === b;
  }

  function holds(input) {
    var wanted = input.dataset.showWhenValue || "";
    return answers(input.dataset.showWhenField).some(function (answer) { return same(answer, wanted); });
  }

  // A question hidden by its condition can hide the questions that depend on it: repeat until
  // nothing changes (a chain is at most as long as the survey).
  function applyConditions() {
    var inputs = box.querySelectorAll("[data-show-when-field]");
    for (var pass = 0; pass <= inputs.length; pass++) {
      var changed = false;
      Array.prototype.forEach.call(inputs, function (input) {
        var field = input.closest(".field");
        var hide = !holds(input);
        if (field && field.hidden !== hide) { field.hidden = hide; changed = true; }
      });
      if (!changed) { return; }
    }
  }

  var latest = 0;
  function loadQuestions() {
    var ticket = ++latest;
    var url = box.dataset.questionsUrl + "?category=" + encodeURIComponent(category.value);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        if (ticket !== latest) { return; }  // the category changed again meanwhile
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("survey-questions");
        box.replaceChildren.apply(box, fresh ? Array.prototype.map.call(fresh.childNodes, function (node) {
          return document.importNode(node, true);
        }) : []);
        applyConditions();
      })
      .catch(function () {
        if (button) { button.hidden = false; }  // fall back to the button that reloads the form
      });
  }

  var button = document.getElementById("show-questions");
  if (button) {
    button.hidden = true;
    category.addEventListener("change", loadQuestions);
  }
  form.addEventListener("change", applyConditions);
  form.addEventListener("input", applyConditions);
  applyConditions();
})();
