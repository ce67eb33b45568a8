// Quick exit: leave Empower at once for a neutral page, without leaving this page in the
// browser's back history. Also triggered by pressing Escape three times quickly.
//
// When an interview is open and something was typed on its step, the step is first sent in
// the background to be kept as an encrypted draft (as Pause does), so nothing typed is lost.
// The page is blanked at once; leaving waits for that request (at most a second), because
// leaving ends the session and a draft sent after that could not be kept.
(function () {
  "use strict";
  var WAIT_MS = 1000;
  var leaving = false;

  function keepDraft(done) {
    var form = document.querySelector("form.assessment[data-draft-url]");
    if (!form || form.getAttribute("data-changed") !== "1" || !window.FormData) { done(); return; }
    var url = form.getAttribute("data-draft-url");
    var data = new FormData(form);
    if (!window.fetch) {
      if (navigator.sendBeacon) { navigator.sendBeacon(url, data); }
      done();
      return;
    }
    var finished = false;
    var finish = function () { if (!finished) { finished = true; done(); } };
    var send = function (keepalive) {
      return window.fetch(url, {
        method: "POST", body: data, credentials: "same-origin", keepalive: keepalive
      });
    };
    // keepalive lets the request outlive the page, but is refused above 64 kB (a long note in
    // Burmese or Bengali can be larger): then it goes as an ordinary request.
    send(true).then(finish, function () { send(false).then(finish, finish); });
    window.setTimeout(finish, WAIT_MS);
  }

  function leave(event) {
    var link = document.getElementById("quick-exit");
    if (!link) { return; }
    if (event) { event.preventDefault(); }
    if (leaving) { return; }
    leaving = true;
    document.body.style.visibility = "hidden";
    document.title = "";
    keepDraft(function () {
      // replace() swaps this page out of the history, so Back does not return to it.
      window.location.replace(link.getAttribute("href"));
    });
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
