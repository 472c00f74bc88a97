// The household roll's "select all on this page": one tap ticks every household listed.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    var name = box.getAttribute("data-select-all");
    box.addEventListener("change", function () {
      box.form.querySelectorAll("input[type=checkbox][name=" + name + "]").forEach(function (item) {
        item.checked = box.checked;
      });
    });
  });
})();
