/* An export job's page: follows the worker's progress until the download link shows. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector(".export-job[data-running]");
    if (!box) { return; }
    var url = box.getAttribute("data-status-url");
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var bar = box.querySelector("progress");
          var text = box.querySelector(".export-text");
          if (bar) { bar.value = data.progress; }
          if (text) { text.textContent = data.status_display + " · " + data.progress + "% · " + data.rows + " / " + data.total; }
          if (data.status === "done" || data.status === "failed") { window.location.reload(); }
          else { window.setTimeout(poll, 1500); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  });
})();
