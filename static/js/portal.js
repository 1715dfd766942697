// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:afterSwap", function (event) {
  // After a form re-renders with errors, move focus to the error summary (accessible error pattern).
  var summary = event.detail.target.querySelector("#error-summary");
  if (summary) { summary.focus(); }
});
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
