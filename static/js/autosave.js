// Autosave for application forms (<form data-autosave-url>): every field is saved as it changes, and nothing
// typed is ever lost. The page works without this file (its Save button saves the whole step).
//
// - Each change is first written to localStorage, then sent (debounced) to the autosave URL with the version the
//   field was last saved or loaded at. The entry is removed once the server has it.
// - 200: "Saved at HH:MM:SS". 422: the field's message under it, the text stays. 409: someone else changed the
//   field meanwhile: their version is shown and the editor chooses (keep mine / use theirs). 401: the session
//   has expired: the changes stay in this browser and are sent again after signing in (on the next page load).
// - Network failures are retried with a growing pause.
(function () {
  "use strict";

  var DEBOUNCE_MS = 800;
  var KEEP_DAYS = 14;
  var SKIP = { _csrf: true, version: true, step: true, go: true, pending: true, field_key: true, file: true,
               field_versions: true };

  function topKey(name) { return name.split(".")[0]; }

  function Autosaver(form) {
    this.form = form;
    this.url = form.getAttribute("data-autosave-url");
    this.storageKey = "portal:autosave:" + form.getAttribute("data-application");
    var versionInput = form.querySelector("input[name=version]");
    this.pageVersion = versionInput ? versionInput.value : "";
    this.base = {};        // field key -> version its current value is based on
    this.timers = {};
    this.inFlight = {};
    this.again = {};       // changed while a request was in flight: send once more afterwards
    this.retryDelay = {};
    this.signedOut = false;
    this.status = document.getElementById("autosave-status");
    this.bind();
    this.restore();
  }

  Autosaver.prototype.csrf = function () {
    var input = this.form.querySelector("input[name=_csrf]");
    return input ? input.value : "";
  };

  Autosaver.prototype.step = function () {
    var input = this.form.querySelector("input[name=step]");
    return input ? input.value : "";
  };

  Autosaver.prototype.elementsOf = function (key) {
    var out = [];
    var elements = this.form.elements;
    for (var i = 0; i < elements.length; i++) {
      var el = elements[i];
      if (!el.name || SKIP[el.name] || el.type === "file" || el.disabled) { continue; }
      if (el.form !== this.form) { continue; }
      if (topKey(el.name) === key) { out.push(el); }
    }
    return out;
  };

  // The field's values as [name, value] pairs, as the Save button would post them; an unticked box or an empty
  // choice is sent as "" so that the server knows the field was emptied.
  Autosaver.prototype.pairsOf = function (key) {
    var pairs = [];
    var groups = {};
    this.elementsOf(key).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        groups[el.name] = groups[el.name] || false;
        if (el.checked) { pairs.push([el.name, el.value]); groups[el.name] = true; }
      } else if (el.tagName === "SELECT" && el.multiple) {
        groups[el.name] = false;
        Array.prototype.forEach.call(el.selectedOptions, function (o) { pairs.push([el.name, o.value]); groups[el.name] = true; });
      } else if (el.tagName !== "BUTTON") {
        pairs.push([el.name, el.value]);
      }
    });
    Object.keys(groups).forEach(function (name) { if (!groups[name]) { pairs.push([name, ""]); } });
    return pairs;
  };

  // --- the copy kept in this browser -------------------------------------------------------------------
  Autosaver.prototype.load = function () {
    try { return JSON.parse(window.localStorage.getItem(this.storageKey) || "{}") || {}; } catch (e) { return {}; }
  };
  Autosaver.prototype.store = function (all) {
    try {
      if (Object.keys(all).length) { window.localStorage.setItem(this.storageKey, JSON.stringify(all)); }
      else { window.localStorage.removeItem(this.storageKey); }
    } catch (e) { /* storage full or disabled: the server save still happens */ }
  };
  Autosaver.prototype.remember = function (key) {
    var all = this.load();
    var seq = ((all[key] && all[key].seq) || 0) + 1;
    all[key] = { pairs: this.pairsOf(key), base: this.baseOf(key), seq: seq, at: Date.now() };
    this.store(all);
    return seq;
  };
  Autosaver.prototype.forget = function (key, seq) {
    var all = this.load();
    if (all[key] && (seq === undefined || all[key].seq === seq)) { delete all[key]; this.store(all); }
  };

  Autosaver.prototype.baseOf = function (key) { return this.base[key] || this.pageVersion; };

  // --- events ----------------------------------------------------------------------------------------------
  Autosaver.prototype.bind = function () {
    var self = this;
    function changed(event, delay) {
      var el = event.target;
      if (el && !el.name && el.closest) {
        // A change announced by the form's own scripts on a field's box (a table row added or removed).
        var box = el.closest("[data-testid^='field-']");
        if (box && self.form.contains(box)) { self.changed(box.getAttribute("data-testid").slice(6), delay); }
        return;
      }
      if (!el || !el.name || SKIP[el.name] || el.type === "file" || el.form !== self.form) { return; }
      self.changed(topKey(el.name), delay);
    }
    this.form.addEventListener("input", function (e) { changed(e, DEBOUNCE_MS); });
    this.form.addEventListener("change", function (e) { changed(e, 0); });
    // Rows added or removed by the form's own scripts (budget tables, repeating groups) announce themselves.
    this.form.addEventListener("portal:changed", function (e) { if (e.detail && e.detail.key) { self.changed(e.detail.key, 0); } });
    this.form.addEventListener("focusout", function (e) {
      var el = e.target;
      if (el && el.name && self.timers[topKey(el.name)]) { self.flush(topKey(el.name)); }
    });
    // The Save and Submit buttons post every field of the step, so pending autosaves are dropped (the post carries
    // the same values) and the server is told which version each field was last saved at (field_versions), so
    // that a field this page itself autosaved is not taken for someone else's change. A field whose autosave is
    // still on its way is marked "latest": its newest version is this page's own.
    this.form.addEventListener("submit", function (event) {
      if (event.target !== self.form) { return; }
      Object.keys(self.timers).forEach(function (key) { clearTimeout(self.timers[key]); delete self.timers[key]; });
      self.writeBases();
    });
    window.addEventListener("pagehide", function () { self.flushAll(true); });
    this.form.addEventListener("click", function (e) {
      var keep = e.target.closest("[data-autosave-keep]");
      var theirs = e.target.closest("[data-autosave-theirs]");
      if (keep) { self.keepMine(keep.getAttribute("data-autosave-keep"), keep); }
      if (theirs) { self.useTheirs(theirs.getAttribute("data-autosave-theirs")); }
    });
  };

  Autosaver.prototype.writeBases = function () {
    var input = this.form.querySelector("input[name=field_versions]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "field_versions";
      this.form.appendChild(input);
    }
    var bases = {};
    var self = this;
    Object.keys(this.base).forEach(function (key) { bases[key] = self.base[key]; });
    Object.keys(this.inFlight).forEach(function (key) { if (self.inFlight[key]) { bases[key] = "latest"; } });
    input.value = JSON.stringify(bases);
  };

  Autosaver.prototype.changed = function (key, delay) {
    this.remember(key);
    if (this.signedOut) { return; }  // kept in this browser; the sign-in prompt stays in view
    this.setStatus("Saving…", "pending");
    var self = this;
    clearTimeout(this.timers[key]);
    this.timers[key] = setTimeout(function () { self.flush(key); }, delay);
  };

  Autosaver.prototype.flush = function (key) {
    clearTimeout(this.timers[key]);
    delete this.timers[key];
    var entry = this.load()[key];
    if (entry) { this.send(key, entry); }
  };

  Autosaver.prototype.flushAll = function (leaving) {
    var self = this;
    Object.keys(this.timers).forEach(function (key) {
      clearTimeout(self.timers[key]);
      delete self.timers[key];
      var entry = self.load()[key];
      if (entry && leaving) { self.send(key, entry, true); }
    });
  };

  // --- talking to the server ------------------------------------------------------------------------------
  Autosaver.prototype.send = function (key, entry, leaving) {
    if (this.signedOut) { return; }
    if (this.inFlight[key] && !leaving) { this.again[key] = true; return; }
    var body = new URLSearchParams();
    body.append("_csrf", this.csrf());
    body.append("version", entry.base || this.pageVersion);
    body.append("step", this.step());
    entry.pairs.forEach(function (pair) { body.append(pair[0], pair[1]); });
    var self = this;
    this.inFlight[key] = true;
    fetch(this.url, {
      method: "POST", body: body, credentials: "same-origin", keepalive: !!leaving,
      headers: { "X-CSRF-Token": this.csrf(), "Accept": "text/html" }
    }).then(function (response) {
      return response.text().then(function (html) { self.answered(key, entry, response, html); });
    }).catch(function () {
      self.inFlight[key] = false;
      self.retry(key);
    });
  };

  Autosaver.prototype.answered = function (key, entry, response, html) {
    this.inFlight[key] = false;
    var status = response.status;
    if (status === 200) {
      this.base[key] = response.headers.get("X-Version") || this.baseOf(key);
      this.forget(key, entry.seq);
      this.clearNotes(key);
      delete this.retryDelay[key];
      var when = new Date(response.headers.get("X-Saved-At") || Date.now());
      this.setStatus("Saved at " + when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }), "saved");
      this.status && this.status.setAttribute("data-version", this.base[key]);
    } else if (status === 422) {
      this.showNote(key, html, "error");
      this.setStatus("Not saved: check the highlighted answer.", "error");
    } else if (status === 409) {
      this.showNote(key, html, "conflict");
      this.setStatus("Not saved: someone else changed an answer you are editing.", "conflict");
    } else if (status === 401 || status === 403) {
      // 401: the session expired (the server says so in `html`); 403: signed out elsewhere or access removed.
      this.signedOut = true;
      if (status === 401) { this.setStatus("", "signed-out", html); }
      else { this.setStatus("", "signed-out", '<div class="usa-alert usa-alert--warning usa-alert--slim" data-testid="session-expired"><div class="usa-alert__body"><p class="usa-alert__text"><strong>Your changes could not be saved: you may have been signed out.</strong> What you typed is kept in this browser and will be saved when you come back signed in. <a class="usa-link" data-autosave-signin href="/login">Sign in again</a></p></div></div>'); }
      var link = this.status && this.status.querySelector("[data-autosave-signin]");
      if (link) { link.href = "/login?expired=1&next=" + encodeURIComponent(window.location.pathname + window.location.search); }
      return;
    } else {
      this.retry(key);
      return;
    }
    if (this.again[key]) {
      delete this.again[key];
      var latest = this.load()[key];
      if (latest) { latest.base = this.baseOf(key); this.send(key, latest); }
    }
  };

  Autosaver.prototype.retry = function (key) {
    var delay = Math.min((this.retryDelay[key] || 1000) * 2, 30000);
    this.retryDelay[key] = delay;
    this.setStatus("Not saved yet: the connection failed. Trying again in " + Math.round(delay / 1000) + " s; your text is kept in this browser.", "error");
    var self = this;
    clearTimeout(this.timers[key]);
    this.timers[key] = setTimeout(function () { self.flush(key); }, delay);
  };

  Autosaver.prototype.keepMine = function (key, button) {
    var note = button.closest("[data-version]");
    this.base[key] = note ? note.getAttribute("data-version") : this.baseOf(key);
    this.clearNotes(key);
    this.changed(key, 0);
  };

  Autosaver.prototype.useTheirs = function (key) {
    this.forget(key);
    window.location.reload();  // the page shows the saved answers; other unsaved changes are kept and resent
  };

  // After a reload or signing in again: send what this browser still holds for this application.
  Autosaver.prototype.restore = function () {
    var all = this.load();
    var self = this;
    var restored = 0;
    Object.keys(all).forEach(function (key) {
      var entry = all[key];
      if (!entry || !entry.pairs || Date.now() - (entry.at || 0) > KEEP_DAYS * 86400000) { self.forget(key); return; }
      if (self.elementsOf(key).length && JSON.stringify(self.pairsOf(key)) === JSON.stringify(entry.pairs)) {
        self.forget(key);  // the page already shows exactly this (a Save sent it): nothing left to send
        return;
      }
      entry.pairs.forEach(function (pair) { self.fill(pair[0], pair[1], entry.pairs); });
      self.base[key] = entry.base;
      restored += 1;
      self.send(key, entry);
    });
    if (restored) { this.setStatus("Saving the changes this browser kept from before…", "pending"); }
  };

  Autosaver.prototype.fill = function (name, value, pairs) {
    var elements = this.form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']");
    Array.prototype.forEach.call(elements, function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = pairs.some(function (p) { return p[0] === name && p[1] === el.value; });
      } else if (el.type !== "file") {
        el.value = value;
      }
    });
  };

  // --- what the page shows --------------------------------------------------------------------------------
  Autosaver.prototype.setStatus = function (text, state, html) {
    if (!this.status) { return; }
    this.status.setAttribute("data-state", state);
    if (html) { this.status.innerHTML = html; } else { this.status.textContent = text; }
  };

  Autosaver.prototype.fieldBox = function (key) {
    return this.form.querySelector("[data-testid='field-" + key.replace(/'/g, "") + "']");
  };

  Autosaver.prototype.showNote = function (key, html, kind) {
    this.clearNotes(key);
    var box = this.fieldBox(key);
    var note = document.createElement("div");
    note.className = "autosave-note autosave-note--" + kind;
    note.setAttribute("data-autosave-note", key);
    note.setAttribute("role", "alert");
    note.innerHTML = html;
    if (box) { box.appendChild(note); } else if (this.status) { this.status.parentNode.insertBefore(note, this.status); }
  };

  Autosaver.prototype.clearNotes = function (key) {
    var notes = this.form.querySelectorAll("[data-autosave-note='" + key.replace(/'/g, "") + "']");
    Array.prototype.forEach.call(notes, function (n) { n.parentNode.removeChild(n); });
  };

  function start() {
    var forms = document.querySelectorAll("form[data-autosave-url]");
    Array.prototype.forEach.call(forms, function (form) {
      if (!form.__autosaver) { form.__autosaver = new Autosaver(form); }
    });
  }
  document.addEventListener("DOMContentLoaded", start);
  document.addEventListener("htmx:afterSettle", start);
})();
