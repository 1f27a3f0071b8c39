/* Registration and profile forms: progressive enhancement only; the forms work without it.
 *
 * 1. After a failed submit, move focus to the error summary so it is read out first.
 * 2. The interests field holds several words separated by commas. A <datalist> suggests whole
 *    values, so for the word being typed we offer "words so far, suggestion" as options:
 *    the browser's own suggestion list (keyboard accessible) then completes the last word.
 */
(function () {
  "use strict";

  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  var list = document.getElementById("interest-suggestions");
  if (!list) {
    return;
  }
  var input = document.querySelector('input[list="interest-suggestions"]');
  if (!input) {
    return;
  }
  var suggestions = Array.prototype.map.call(list.options, function (option) {
    return option.value;
  });
  var MAX_OPTIONS = 40;

  function fill(values) {
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    values.slice(0, MAX_OPTIONS).forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      list.appendChild(option);
    });
  }

  function refresh() {
    var text = input.value;
    var cut = Math.max(text.lastIndexOf(","), text.lastIndexOf(";"));
    if (cut < 0) {
      fill(suggestions);
      return;
    }
    var head = text.slice(0, cut + 1).replace(/\s*$/, "") + " ";
    var typed = text.slice(cut + 1).trim().toLowerCase();
    var used = {};
    text.slice(0, cut).split(/[,;]/).forEach(function (word) {
      used[word.trim().toLowerCase()] = true;
    });
    fill(
      suggestions
        .filter(function (word) {
          var lower = word.toLowerCase();
          return !used[lower] && (!typed || lower.indexOf(typed) !== -1);
        })
        .map(function (word) {
          return head + word;
        })
    );
  }

  input.addEventListener("input", refresh);
})();
