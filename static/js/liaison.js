// Behaviour every page shares, kept out of the markup so that the Content-Security-Policy can
// allow this site's own scripts and nothing inline.
(function () {
  "use strict";
  // The language switch takes effect as soon as a language is picked.
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Print buttons (the receipt, the contact card).
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // The attendance sheet's "everyone present": one tap instead of one a member.
  document.querySelectorAll("[data-all-present]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.form.querySelectorAll("input[type=radio][value=present]").forEach(function (radio) { radio.checked = true; });
    });
  });
})();
