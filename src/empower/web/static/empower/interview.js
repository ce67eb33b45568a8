// The interview form: a live count of the characters of each note, so a long note is noticed
// before the server refuses it (a maxlength attribute would cut pasted text without a word).
(function () {
  "use strict";
  var NEAR = 0.9;

  function fill(template, used, limit, lang) {
    var fmt = function (n) {
      try { return n.toLocaleString(lang || undefined); } catch (e) { return String(n); }
    };
    return template.replace("%(used)s", fmt(used)).replace("%(limit)s", fmt(limit));
  }

  function watch(form, area) {
    var limit = parseInt(area.getAttribute("data-limit"), 10);
    var counter = document.getElementById(area.id + "-count");
    if (!limit || !counter) { return; }
    var lang = counter.getAttribute("lang") || document.documentElement.lang;
    function update() {
      // Count characters as people do (one per letter or sign), like the server's len().
      var used = Array.from(area.value).length;
      var over = used > limit;
      var near = !over && used >= limit * NEAR;
      var text = form.getAttribute(over ? "data-over-text" : near ? "data-near-text" : "data-count-text");
      counter.textContent = fill(text, used, limit, lang);
      counter.classList.toggle("over", over);
      counter.classList.toggle("near", near);
      area.classList.toggle("over", over);
      if (over) { area.setAttribute("aria-invalid", "true"); } else { area.removeAttribute("aria-invalid"); }
    }
    area.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.assessment");
    if (!form) { return; }
    Array.prototype.forEach.call(form.querySelectorAll("textarea[data-limit]"), function (area) {
      watch(form, area);
    });
    // Quick exit (quick-exit.js) keeps a draft only when something was changed on this step.
    var mark = function () { form.setAttribute("data-changed", "1"); };
    form.addEventListener("input", mark);
    form.addEventListener("change", mark);
  });
})();
