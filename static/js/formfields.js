// Forms defined as data (templates/components/formfields.html): live word and character counters, live
// budget totals, "Add row" / "Remove row" for budget tables and repeating groups, and conditional fields.
// Every form works without this file: the server enforces limits, computes totals, drops empty rows, and
// ignores the answers of fields whose condition is false.
(function () {
  "use strict";

  // --- live counters -------------------------------------------------------------------------------------
  function words(text) {
    var trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).length : 0;
  }

  function updateCounter(counter, announce) {
    var input = document.getElementById(counter.getAttribute("data-counter-for"));
    if (!input) { return; }
    var maxWords = parseInt(counter.getAttribute("data-max-words") || "0", 10);
    var maxChars = parseInt(counter.getAttribute("data-max-chars") || "0", 10);
    var used = maxWords ? words(input.value) : input.value.length;
    var limit = maxWords || maxChars;
    var noun = maxWords ? "words" : "characters";
    var text = used.toLocaleString("en-US") + " of " + limit.toLocaleString("en-US") + " " + noun;
    if (used > limit) { text += " (" + (used - limit).toLocaleString("en-US") + " too many)"; }
    counter.textContent = text;
    counter.classList.toggle("portal-counter--over", used > limit);
    if (announce) {
      var status = counter.parentNode.querySelector('[data-counter-status="' + counter.getAttribute("data-counter-for") + '"]');
      if (status) {
        // Screen readers hear the count once typing pauses, not at every key.
        clearTimeout(status._timer);
        status._timer = setTimeout(function () { status.textContent = text; }, 1200);
      }
    }
  }

  // --- money and budget totals -----------------------------------------------------------------------------
  function cents(text) {
    var match = /^\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/.exec((text || "").trim());
    if (!match) { return 0; }
    return parseInt(match[1].replace(/,/g, ""), 10) * 100 + parseInt(((match[2] || "") + "00").slice(0, 2), 10);
  }

  function money(value) {
    var dollars = Math.floor(value / 100), rest = value % 100;
    return "$" + dollars.toLocaleString("en-US") + (rest ? "." + (rest < 10 ? "0" : "") + rest : "");
  }

  function updateBudget(container) {
    var byCategory = {}, shareByCategory = {}, total = 0, shareTotal = 0;
    container.querySelectorAll("[data-rows-body] [data-row]").forEach(function (row) {
      var category = (row.querySelector("[data-budget-category]") || {}).value || "";
      var amountInput = row.querySelector("[data-budget-amount]");
      var shareInput = row.querySelector("[data-budget-share]");
      var amount = amountInput ? cents(amountInput.value) : 0;
      var share = shareInput ? cents(shareInput.value) : 0;
      byCategory[category] = (byCategory[category] || 0) + amount;
      shareByCategory[category] = (shareByCategory[category] || 0) + share;
      total += amount;
      shareTotal += share;
    });
    container.querySelectorAll("[data-total-category]").forEach(function (cell) {
      cell.textContent = money(byCategory[cell.getAttribute("data-total-category")] || 0);
    });
    container.querySelectorAll("[data-share-category]").forEach(function (cell) {
      cell.textContent = money(shareByCategory[cell.getAttribute("data-share-category")] || 0);
    });
    container.querySelectorAll("[data-total]").forEach(function (cell) { cell.textContent = money(total); });
    container.querySelectorAll("[data-share-total]").forEach(function (cell) { cell.textContent = money(shareTotal); });
  }

  // --- rows --------------------------------------------------------------------------------------------------
  function renumber(container) {
    var rows = container.querySelectorAll("[data-rows-body] [data-row]");
    rows.forEach(function (row, index) {
      row.querySelectorAll("[data-row-number]").forEach(function (span) { span.textContent = String(index + 1); });
    });
    var max = parseInt(container.getAttribute("data-max-rows") || "50", 10);
    var add = container.querySelector("[data-add-row]");
    if (add) { add.hidden = rows.length >= max; }
  }

  function nextIndex(container) {
    var highest = -1;
    container.querySelectorAll("[data-rows-body] [name]").forEach(function (input) {
      var match = /^[^.]+\.(\d+)\./.exec(input.name);
      if (match) { highest = Math.max(highest, parseInt(match[1], 10)); }
    });
    return highest + 1;
  }

  function announce(container, text) {
    var status = container.querySelector("[data-rows-status]");
    if (status) { status.textContent = text; }
  }

  function addRow(container) {
    var template = container.querySelector("template[data-row-template]");
    var body = container.querySelector("[data-rows-body]");
    if (!template || !body) { return; }
    var html = template.innerHTML.replace(/__N__/g, String(nextIndex(container)));
    var holder = document.createElement(body.tagName === "TBODY" ? "tbody" : "div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    body.appendChild(row);
    enhanceRows(container);
    renumber(container);
    var first = row.querySelector("input, select, textarea");
    if (first) { first.focus(); }
    announce(container, "Row added.");
  }

  function removeRow(container, row) {
    var rows = Array.prototype.slice.call(container.querySelectorAll("[data-rows-body] [data-row]"));
    var index = rows.indexOf(row);
    row.parentNode.removeChild(row);
    renumber(container);
    if (container.querySelector("[data-budget]")) { updateBudget(container); }
    var remaining = container.querySelectorAll("[data-rows-body] [data-row]");
    var target = remaining[Math.min(index, remaining.length - 1)];
    var focusable = target ? target.querySelector("input, select, textarea") : container.querySelector("[data-add-row]");
    if (focusable) { focusable.focus(); }
    announce(container, "Row removed.");
    // Autosave (if the page has it) listens for changes: a removed row is one.
    container.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function enhanceRows(container) {
    container.querySelectorAll("[data-rows-body] [data-remove-row]").forEach(function (button) {
      button.hidden = false;
    });
  }

  // --- conditional fields ------------------------------------------------------------------------------------
  function currentValues(form, name) {
    var values = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (input) {
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) { values.push(input.value); }
      } else if (input.value) {
        values.push(input.value);
      }
    });
    return values;
  }

  function updateConditions(form) {
    // Twice, so that a field depending on a field that depends on another settles.
    for (var pass = 0; pass < 2; pass++) {
      form.querySelectorAll("[data-show-if-field]").forEach(function (group) {
        var name = group.getAttribute("data-show-if-field");
        if (!form.querySelector('[name="' + name + '"]')) { return; }  // on another step: the server decided
        var wanted = [];
        try { wanted = JSON.parse(group.getAttribute("data-show-if-values") || "[]"); } catch (e) { wanted = []; }
        var controller = form.querySelector('[data-testid="field-' + name + '"]');
        var visible = !(controller && controller.hidden) && currentValues(form, name).some(function (value) {
          return wanted.indexOf(value) !== -1;
        });
        group.hidden = !visible;
      });
    }
  }

  // --- wiring ---------------------------------------------------------------------------------------------------
  function init(root) {
    root.querySelectorAll("[data-counter-for]").forEach(function (counter) { updateCounter(counter, false); });
    root.querySelectorAll("[data-rows]").forEach(function (container) {
      enhanceRows(container);
      renumber(container);
      if (container.querySelector("[data-budget]")) { updateBudget(container); }
    });
    root.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-show-if-field]")) { updateConditions(form); }
    });
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target.id) {
      var counter = document.querySelector('[data-counter-for="' + (window.CSS && CSS.escape ? CSS.escape(target.id) : target.id) + '"]');
      if (counter) { updateCounter(counter, true); }
    }
    var container = target.closest && target.closest("[data-rows]");
    if (container && container.querySelector("[data-budget]")) { updateBudget(container); }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    var container = target.closest && target.closest("[data-rows]");
    if (container && container.querySelector("[data-budget]")) { updateBudget(container); }
    if (target.form && target.form.querySelector("[data-show-if-field]")) { updateConditions(target.form); }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row], [data-remove-row]");
    if (!button) { return; }
    var container = button.closest("[data-rows]");
    if (!container) { return; }
    event.preventDefault();
    if (button.hasAttribute("data-add-row")) {
      addRow(container);
    } else {
      removeRow(container, button.closest("[data-row]"));
    }
  });

  // --- file size, before sending --------------------------------------------------------------------------
  // A file over its field's limit is refused here, before the upload leaves the page, so nothing typed is lost
  // and no time is spent sending it. The server checks the same limit (and answers 413 past the request limit).
  function megabytes(bytes) { return (Math.round(bytes / 104857.6) / 10).toLocaleString("en-US") + " MB"; }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.elements) { return; }
    Array.prototype.forEach.call(form.elements, function (input) {
      var max = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
      if (input.type !== "file" || !max || !input.files) { return; }
      var big = Array.prototype.filter.call(input.files, function (file) { return file.size > max; })[0];
      var message = document.getElementById("size-error-" + input.id);
      if (!big) {
        if (message) { message.hidden = true; message.textContent = ""; }
        return;
      }
      event.preventDefault();
      if (!message) {
        message = document.createElement("span");
        message.className = "usa-error-message";
        message.id = "size-error-" + input.id;
        message.setAttribute("role", "alert");
        message.setAttribute("data-testid", "size-error-" + input.id);
        input.parentNode.insertBefore(message, input);
      }
      message.hidden = false;
      message.textContent = big.name + " is " + megabytes(big.size) + ", over the " + megabytes(max) +
        " allowed here, so it was not sent. Choose a smaller file: nothing else on this page has changed.";
      input.focus();
    });
  });

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  // After an HTMX swap (autosave, a 422 or 409 re-render), enhance the new content too.
  document.addEventListener("htmx:afterSettle", function (event) { init(event.detail.elt || document); });
})();
