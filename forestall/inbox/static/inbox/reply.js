// Progressive enhancement of the reply box: a template button inserts the
// template where the cursor is, without a round trip. Without JavaScript the
// same button posts the reply and the server appends the template (nothing
// typed is ever replaced either way).
(function () {
  "use strict";
  var reply = document.getElementById("id_body");
  if (!reply) {
    return;
  }
  var buttons = document.querySelectorAll("button[data-template-body]");
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var text = button.getAttribute("data-template-body");
      var value = reply.value;
      var start = reply.selectionStart;
      var end = reply.selectionEnd;
      // A box never clicked into reports the cursor at 0: add after the text then.
      if (typeof start !== "number" || (start === 0 && end === 0 && value)) {
        start = end = value.length;
      }
      var before = value.slice(0, start);
      var after = value.slice(end);
      var lead = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
      var tail = after && !/^\n/.test(after) ? "\n\n" : "";
      reply.value = before + lead + text + tail + after;
      var caret = (before + lead + text).length;
      reply.focus();
      reply.setSelectionRange(caret, caret);
    });
  });
})();
