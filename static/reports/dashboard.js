/* The dashboard's extras: a chart drawn from the trend table's numbers, the period list that
   opens its period when chosen, and the "refresh now" progress. Without this script every
   number is still in the tables. No inline script anywhere: the page passes data through
   json_script and data-* attributes. */
(function () {
  "use strict";

  function drawCharts() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      el.hidden = false;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) {
          return v === null || v === undefined ? "—" : v.toFixed(1) + "%";
        } },
        legend: { type: "scroll", top: 0 },
        grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.labels, axisLabel: { hideOverlap: true } },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: data.series.map(function (s) {
          return { name: s.name, type: "line", data: s.data, connectNulls: false, symbolSize: 6 };
        })
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function autoSubmit() {
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function followRefresh() {
    var form = document.querySelector("form.refresh[data-running]");
    if (!form) { return; }
    var url = form.getAttribute("data-status-url");
    var state = form.querySelector(".refresh-state");
    var button = form.querySelector("button");
    button.disabled = true;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var bar = state.querySelector("progress");
          var text = state.querySelector(".refresh-text");
          if (bar) { bar.value = data.progress; }
          if (text) { text.textContent = data.status_display + " · " + data.progress + "%"; }
          if (data.done) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts();
    autoSubmit();
    followRefresh();
  });
})();
