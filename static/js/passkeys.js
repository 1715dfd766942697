// Passkeys (WebAuthn) for forms marked data-passkey-form="enrol" or "sign-in": on submit, ask the server for
// options, let the browser create or use the passkey, put its answer in the form's `credential` field and send
// the form as usual (the server checks it). Without WebAuthn the form's button is disabled and a hint shown.
(function () {
  "use strict";
  const lib = window.SimpleWebAuthnBrowser;

  function setUp(form) {
    const button = form.querySelector("button[type=submit]");
    if (!lib || !lib.browserSupportsWebAuthn()) {
      button.disabled = true;
      const hint = form.querySelector("[data-passkey-unsupported]");
      if (hint) hint.hidden = false;
      return;
    }
    form.addEventListener("submit", async function (event) {
      if (form.elements.credential.value) return;  // the passkey's answer is in: send the form
      event.preventDefault();
      button.disabled = true;
      try {
        const response = await fetch(form.dataset.optionsUrl, {
          method: "POST", credentials: "same-origin",
          headers: {"X-CSRF-Token": form.elements._csrf.value, "Accept": "application/json"},
        });
        if (!response.ok) throw new Error("options " + response.status);
        const optionsJSON = await response.json();
        const answer = form.dataset.passkeyForm === "enrol"
          ? await lib.startRegistration({optionsJSON: optionsJSON})
          : await lib.startAuthentication({optionsJSON: optionsJSON});
        form.elements.credential.value = JSON.stringify(answer);
      } catch (error) {
        // Cancelled or refused: send an empty answer, and the server re-renders the page with the error.
        form.elements.credential.value = "{}";
      }
      form.submit();
    });
  }

  document.querySelectorAll("form[data-passkey-form]").forEach(setUp);
})();
