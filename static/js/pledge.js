// The pledge page (templates/payments/pledges/pledge.html): pay a pledge by card with Stripe.js.
// The server created the PaymentIntent (POST "Pay"); this confirms it with the card the funder types into Stripe's
// card Element, using the intent's client secret from the page. Stripe's webhook, not this script, marks the
// payment received: after Stripe accepts the card, the page polls the pledge's figures (htmx) until it shows.
// The client secret stays in the page: never logged, never put in a URL.
// Without this script (no JavaScript, Stripe.js blocked), the page keeps its "other ways to pay" notice and no
// card button is shown.
(function () {
  "use strict";
  var PAID_BY_STRIPE = "Payment received by Stripe; it shows as received once Stripe confirms it.";

  function show(el, on) { el.hidden = !on; }

  function ready() {
    if (typeof window.Stripe !== "function") { return; }  // Stripe.js did not load: the notice stays
    document.querySelectorAll("[data-needs-stripe]").forEach(function (el) { show(el, true); });
    document.querySelectorAll("[data-pledge-fallback]").forEach(function (el) { show(el, false); });
    var box = document.querySelector("[data-pledge-card]");
    if (!box) { return; }
    var form = document.getElementById("pledge-card-form");
    var status = document.getElementById("pledge-card-status");
    var button = form.querySelector("button[type=submit]");
    var stripe = window.Stripe(box.dataset.publishableKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");

    function say(text, state) {
      status.textContent = text;
      status.setAttribute("data-state", state);
    }

    function waitForWebhook() {
      // Poll the figures (htmx, as the server renders them while a payment is with Stripe): each answer carries
      // the polling attributes again until the payment shows as received.
      var figures = document.getElementById("pledge-figures");
      if (!window.htmx || !figures) { return; }
      figures.setAttribute("hx-get", box.dataset.figuresUrl);
      figures.setAttribute("hx-trigger", "every 2s");
      figures.setAttribute("hx-swap", "outerHTML");
      window.htmx.process(figures);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      say("Confirming the payment with Stripe…", "busy");
      stripe.confirmCardPayment(box.dataset.clientSecret, {payment_method: {card: card}}).then(function (result) {
        if (result.error) {
          // Stripe's own message (e.g. "Your card was declined."); the same PaymentIntent may be confirmed again.
          say((result.error.message || "Stripe could not take the payment.") + " Check the card, or use another, and try again.", "error");
          button.disabled = false;
          return;
        }
        var intent = result.paymentIntent || {};
        if (intent.status === "succeeded" || intent.status === "processing" || intent.status === "requires_capture") {
          show(form, false);
          say(PAID_BY_STRIPE, "done");
          waitForWebhook();
        } else {
          say("Stripe has not taken the payment yet (" + intent.status + "). Try again.", "error");
          button.disabled = false;
        }
      }, function () {
        say("Stripe could not be reached. Check your connection and try again.", "error");
        button.disabled = false;
      });
    });
  }

  // When the polled figures show the pledge received, say so in the live region (a swapped-in element is not
  // announced by screen readers on its own).
  document.addEventListener("htmx:afterSwap", function () {
    var figures = document.getElementById("pledge-figures");
    var status = document.getElementById("pledge-card-status");
    if (figures && status && figures.dataset.pledgePaid) {
      status.textContent = figures.dataset.pledgePaid;
      status.setAttribute("data-state", "paid");
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
