// Quick exit: leave Empower at once for a neutral page, without leaving this page in the
// browser's back history. Also triggered by pressing Escape three times quickly.
(function () {
  "use strict";
  function leave(event) {
    var link = document.getElementById("quick-exit");
    if (!link) { return; }
    if (event) { event.preventDefault(); }
    document.body.style.visibility = "hidden";
    document.title = "";
    // replace() swaps this page out of the history, so Back does not return to it.
    window.location.replace(link.getAttribute("href"));
  }
  document.addEventListener("DOMContentLoaded", function () {
    var link = document.getElementById("quick-exit");
    if (link) { link.addEventListener("click", leave); }
  });
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 1500; });
    presses.push(now);
    if (presses.length >= 3) { leave(event); }
  });
})();
