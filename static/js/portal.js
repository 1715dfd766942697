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

// Deadlines (templates/components/deadline.html): add the viewer's own time beside the program's and UTC (unless
// the viewer is in one of those zones), and keep
// the countdown current. Screen readers hear only coarse changes (a day, an hour, the last minutes), never
// every second: the visible text is not a live region; a hidden one gets a message when it changes.
(function () {
  function plural(n, unit) { return n + " " + unit + (n === 1 ? "" : "s"); }
  function left(ms) {
    var s = Math.floor(ms / 1000);
    if (s <= 0) { return "The deadline has passed"; }
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) { return plural(d, "day") + (h ? " " + plural(h, "hour") : "") + " left"; }
    if (h) { return plural(h, "hour") + (m ? " " + plural(m, "minute") : "") + " left"; }
    if (m) { return plural(m, "minute") + " " + plural(s % 60, "second") + " left"; }
    return plural(s, "second") + " left";
  }
  function coarse(ms) {
    var s = ms / 1000;
    if (s <= 0) { return "The deadline has passed."; }
    if (s > 86400) { return plural(Math.floor(s / 86400), "day") + " left until the deadline."; }
    if (s > 3600) { return plural(Math.floor(s / 3600), "hour") + " left until the deadline."; }
    if (s > 900) { return "Less than an hour left until the deadline."; }
    if (s > 300) { return "Less than 15 minutes left until the deadline."; }
    return "Less than 5 minutes left until the deadline.";
  }
  function yourTime(date) {
    try {
      return new Intl.DateTimeFormat(undefined, {year: "numeric", month: "long", day: "numeric", hour: "numeric",
        minute: "2-digit", timeZoneName: "short"}).format(date);
    } catch (e) { return date.toString(); }
  }
  function setUp(root) {
    root.querySelectorAll("[data-deadline]").forEach(function (box) {
      if (box.dataset.deadlineReady) { return; }
      box.dataset.deadlineReady = "1";
      var at = new Date(box.querySelector("time").getAttribute("datetime"));
      if (isNaN(at.getTime())) { return; }
      var viewerZone = "";
      try { viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { viewerZone = ""; }
      var other = box.querySelector("[data-deadline-other]");
      if (other && viewerZone !== box.dataset.tz && viewerZone !== "UTC" && viewerZone !== "Etc/UTC") {
        var mine = document.createElement("span");
        mine.className = "portal-deadline__yours";
        mine.setAttribute("data-testid", "your-time");
        mine.textContent = " (your time: " + yourTime(at) + ")";
        other.after(mine);
      }
      var text = box.querySelector("[data-countdown-text]"), live = box.querySelector("[data-countdown-live]");
      if (!text) { return; }
      var said = coarse(at - Date.now());
      var tick = function () {
        var ms = at - Date.now();
        text.textContent = left(ms);
        var now = coarse(ms);
        if (now !== said && live) { live.textContent = now; said = now; }
        if (ms <= 0) { clearInterval(timer); }
      };
      var timer = setInterval(tick, 1000);
      tick();
    });
  }
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:afterSwap", function (event) { setUp(event.detail.target); });
})();
