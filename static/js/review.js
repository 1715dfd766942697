// The scoring form (templates/reviews/review.html). htmx autosaves it (hx-trigger on the form, debounced) with the
// review version the page holds; each answer swaps in the new version, so the next save sends it. This file only
// keeps the Save buttons from racing an autosave that is still on its way (the page's own save would otherwise
// look like another tab's change): a click waits for it. Without JavaScript the buttons post the form as usual.
(function () {
  "use strict";
  var busy = 0;
  var leaving = false;  // the form is being posted: an autosave still waiting out its delay is not sent
  document.addEventListener("htmx:beforeRequest", function (e) {
    if (!(e.target.closest && e.target.closest("form[data-review-autosave]"))) { return; }
    if (leaving) { e.preventDefault(); return; }
    busy += 1;
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.target.closest && e.target.closest("form[data-review-autosave]")) { busy = Math.max(0, busy - 1); }
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("form[data-review-autosave]")) { return; }
    leaving = true;
    if (busy > 0) {
      e.preventDefault();
      var submitter = e.submitter;
      var wait = function () {
        leaving = true;
    if (busy > 0) { setTimeout(wait, 100); return; }
        if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
      };
      setTimeout(wait, 100);
    }
  });
})();
