/* Assessment pages: a bar chart of the scores drawn from the round's numbers (all of them are
   in the table too), and a confirmation before publishing or deleting. No inline script. */
(function () {
  "use strict";

  function drawScores() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-score-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-score-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      el.hidden = false;
      el.style.height = Math.max(240, 26 * data.labels.length + 60) + "px";
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis", renderMode: "richText" },
        grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
        xAxis: { type: "value" },
        yAxis: { type: "category", inverse: true, data: data.labels },
        series: [{ type: "bar", data: data.scores, itemStyle: { color: "#b71c1c" },
                   label: { show: true, position: "right", formatter: function (p) { return p.value.toFixed(2); } } }]
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawScores();
    confirmForms();
  });
})();
