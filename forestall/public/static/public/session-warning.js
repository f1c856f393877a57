// Mailbox session warning, enhanced: the session ends after a period without
// activity. Two minutes before that, say so, so that a long message is sent
// or copied in time. (Without JavaScript nothing is lost either: a message
// sent after the session ended comes back with a codename field to send it.)
(function () {
  "use strict";
  var form = document.querySelector("form[data-idle-seconds]");
  var warning = document.getElementById("session-warning");
  if (!form || !warning) { return; }
  var seconds = parseInt(form.getAttribute("data-idle-seconds"), 10);
  if (!(seconds > 0)) { return; }
  var lead = Math.min(120, Math.floor(seconds / 2));
  window.setTimeout(function () { warning.hidden = false; }, (seconds - lead) * 1000);
})();
