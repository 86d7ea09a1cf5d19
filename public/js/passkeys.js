// Passkeys (WebAuthn) need JavaScript by nature; everything else on these pages works without it.
// A form marked data-passkey="register" or "authenticate" gets a button that asks the server for
// the ceremony's options (data-options-url), lets the browser create or use the passkey, puts
// the answer in the form's hidden passkey_response field and submits the form as usual.
(function () {
  'use strict';

  var webauthn = window.SimpleWebAuthnBrowser;
  var MESSAGES = {
    cancelled: 'The passkey request was cancelled or timed out. Try again.',
    failed: 'The passkey could not be used. Try again, or use another way.',
  };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute('content') : '';
  }

  // The page gives the messages in its language (data-cancelled, data-failed on the error box).
  function showError(form, kind) {
    var box = form.querySelector('[data-passkey-error]');
    if (!box) return;
    box.textContent = box.getAttribute('data-' + kind) || MESSAGES[kind];
    box.hidden = false;
  }

  function fetchOptions(form) {
    return fetch(form.getAttribute('data-options-url'), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken(), Accept: 'application/json' },
      body: '{}',
    }).then(function (response) {
      // Sudo mode ran out while the page was open: confirm, then come back here.
      if (response.status === 403) {
        window.location.assign('/me/confirm?return_to=' + encodeURIComponent(window.location.pathname));
        return null;
      }
      if (!response.ok) throw new Error('options ' + response.status);
      return response.json();
    });
  }

  function run(form, button) {
    var kind = form.getAttribute('data-passkey');
    if (kind === 'register' && !form.reportValidity()) return;
    button.disabled = true;
    fetchOptions(form)
      .then(function (options) {
        if (!options) return null;
        return kind === 'register'
          ? webauthn.startRegistration({ optionsJSON: options })
          : webauthn.startAuthentication({ optionsJSON: options });
      })
      .then(function (answer) {
        if (!answer) return;
        form.querySelector('input[name="passkey_response"]').value = JSON.stringify(answer);
        // The login page's "Remember me" box lives in the password form: its state goes along.
        var copy = form.querySelector('input[data-copy-checkbox]');
        var box = copy && document.getElementById(copy.getAttribute('data-copy-checkbox'));
        if (copy) copy.value = box && box.checked ? '1' : '';
        form.submit();
      })
      .catch(function (error) {
        button.disabled = false;
        showError(form, error && error.name === 'NotAllowedError' ? 'cancelled' : 'failed');
      });
  }

  if (!webauthn || !webauthn.browserSupportsWebAuthn()) return;
  Array.prototype.forEach.call(document.querySelectorAll('form[data-passkey]'), function (form) {
    var button = form.querySelector('[data-passkey-start]');
    if (!button) return;
    button.hidden = false;
    Array.prototype.forEach.call(form.querySelectorAll('[data-passkey-unavailable]'), function (note) { note.hidden = true; });
    button.addEventListener('click', function () { run(form, button); });
  });
})();
