// Progressive enhancement only: every page and form works without this file.
(function () {
  'use strict';

  // After a failed submit, start at the error summary (autofocus already does this in most
  // browsers; this covers the rest) so screen-reader users hear what went wrong first.
  function focusErrorSummary() {
    var summary = document.getElementById('error-summary');
    if (summary && document.activeElement !== summary) summary.focus();
  }

  // A "Show" button inside each password field. It only changes the input's type, so the
  // password manager, autocomplete and the form post are untouched. Its words come translated
  // from the page (data-show-text, data-show-name: views/partials/field.ejs).
  function addPasswordToggles() {
    var inputs = document.querySelectorAll('input[type="password"]');
    Array.prototype.forEach.call(inputs, function (input) {
      var label = document.querySelector('label[for="' + input.id + '"]');
      var name = label ? label.firstChild.textContent.trim() : 'password';
      var text = input.getAttribute('data-show-text') || 'Show';
      var accessibleName = input.getAttribute('data-show-name') || 'Show ' + name.toLowerCase();
      var wrap = document.createElement('div');
      wrap.className = 'password-wrap';
      input.parentNode.insertBefore(wrap, input);
      wrap.appendChild(input);

      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'password-toggle';
      button.textContent = text;
      button.setAttribute('aria-label', accessibleName);
      button.setAttribute('aria-pressed', 'false');
      button.setAttribute('aria-controls', input.id);
      wrap.appendChild(button);

      // A toggle keeps one name; its state is aria-pressed (and the pressed style).
      button.addEventListener('click', function () {
        var show = input.type === 'password';
        input.type = show ? 'text' : 'password';
        button.setAttribute('aria-pressed', String(show));
      });
      // Never leave a password readable in the page the browser keeps in its history.
      if (input.form) {
        input.form.addEventListener('submit', function () {
          input.type = 'password';
          button.setAttribute('aria-pressed', 'false');
        });
      }
    });
  }

  addPasswordToggles();
  focusErrorSummary();
})();
