// Appended by tests/stripe_connect_fake.py to localstripe's mock Stripe.js (both served at /js.stripe.com/v3/ by the
// Connect fake). localstripe's confirmCardPayment only performs the 3-D Secure step of a PaymentIntent already
// confirmed on the server; this one does what the real Stripe.js does with a card Element: it confirms the intent
// from the browser with the publishable key and the client secret, sending the card as payment_method_data, and
// answers {paymentIntent} or {error} as Stripe.js does. Cards that need 3-D Secure then go through localstripe's
// own authentication dialog (its original confirmCardPayment).
(function () {
  "use strict";
  var base = LOCALSTRIPE_BASE_API;  // localstripe's script derives it from this script's own address
  var localStripe = Stripe;

  function failure(type, code, message) {
    return Promise.resolve({error: {type: type, code: code, message: message}});
  }

  Stripe = function (apiKey) {
    var stripe = localStripe(apiKey);
    var authenticate = stripe.confirmCardPayment;
    stripe.confirmCardPayment = function (clientSecret, data) {
      var match = /^(pi_\w+?)_secret_\w+$/.exec(clientSecret || "");
      if (!match) {
        return failure("invalid_request_error", "invalid_client_secret", "Invalid value for confirmCardPayment: " +
          "clientSecret should be a client secret of the form ${id}_secret_${secret}.");
      }
      var element = data && data.payment_method && data.payment_method.card;
      var value = element && element.value;
      if (!value || !value.card || !value.card.number) {
        return failure("validation_error", "incomplete_number", "Your card number is incomplete.");
      }
      var body = new URLSearchParams();
      body.append("key", apiKey);
      body.append("client_secret", clientSecret);
      body.append("payment_method_data[type]", "card");
      ["number", "exp_month", "exp_year", "cvc"].forEach(function (name) {
        body.append("payment_method_data[card][" + name + "]", value.card[name] || "");
      });
      if (value.postal_code) {
        body.append("payment_method_data[billing_details][address][postal_code]", value.postal_code);
      }
      return fetch(base + "/v1/payment_intents/" + match[1] + "/confirm", {method: "POST", body: body})
        .then(function (response) {
          return response.json().catch(function () { return {}; }).then(function (json) {
            if (!response.ok || json.error) {
              return {error: json.error || {type: "api_error", message: "Stripe answered " + response.status}};
            }
            if (json.status === "requires_action") {
              return authenticate(clientSecret, data);
            }
            return {paymentIntent: json};
          });
        }, function () {
          return {error: {type: "api_connection_error", message: "Stripe could not be reached."}};
        });
    };
    return stripe;
  };
})();
