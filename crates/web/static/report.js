// The resident's form: every page works without this script; it only makes two things nicer.
// 1. A long list of compounds, buildings or units narrows as the resident types in its filter.
// 2. After a refused submit, focus goes to the error summary (whose links lead to the fields).
(function () {
  'use strict';
  var norm = function (s) { return s.trim().toLowerCase(); };
  document.querySelectorAll('input[data-filters]').forEach(function (box) {
    var list = document.getElementById(box.getAttribute('data-filters'));
    var none = document.getElementById('no-match');
    if (!list) return;
    var apply = function () {
      var want = norm(box.value);
      var shown = 0;
      list.querySelectorAll('li').forEach(function (li) {
        var hit = want === '' || norm(li.textContent).indexOf(want) >= 0;
        li.hidden = !hit;
        if (hit) shown++;
      });
      if (none) none.hidden = shown > 0;
    };
    box.addEventListener('input', apply);
  });
  var summary = document.getElementById('error-summary');
  if (summary && document.activeElement !== summary) summary.focus();
  // A link in the summary moves focus to its field, not only the view.
  document.querySelectorAll('#error-summary a[href^="#"]').forEach(function (a) {
    a.addEventListener('click', function (e) {
      var field = document.getElementById(a.getAttribute('href').slice(1));
      if (!field) return;
      e.preventDefault();
      field.scrollIntoView({ block: 'center' });
      field.focus();
    });
  });
})();
