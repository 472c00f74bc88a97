/* The dashboard's extras: a chart drawn from the trend table's numbers, the period list that
   opens its period when chosen, and the "refresh now" progress. Without this script every
   number is still in the tables. No inline script anywhere: the page passes data through
   json_script and data-* attributes. */
(function () {
  "use strict";

  // ECharts' own palette, so that a metric's finished and unfinished parts share a colour.
  var PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];

  function percent(v) { return v === null || v === undefined ? "—" : v.toFixed(1) + "%"; }

  // Each metric is a solid line over the finished periods and, when the last period is today's
  // (data.current), a dashed stretch to a hollow point marked "to date": a month not over yet
  // must not read as a finished month whose rate fell.
  function trendSeries(data) {
    var current = data.current;
    var series = [];
    data.series.forEach(function (s, i) {
      var colour = PALETTE[i % PALETTE.length];
      var finished = s.data.map(function (v, j) { return j === current ? null : v; });
      series.push({ id: "done-" + i, name: s.name, type: "line", data: finished, connectNulls: false,
                    symbolSize: 6, itemStyle: { color: colour }, lineStyle: { color: colour } });
      if (current === null) { return; }
      var toDate = s.data.map(function (v, j) { return j === current || j === current - 1 ? v : null; });
      series.push({ id: "to-date-" + i, name: s.name, type: "line", data: toDate, connectNulls: false,
                    symbol: "emptyCircle", symbolSize: 8, itemStyle: { color: colour },
                    lineStyle: { color: colour, type: "dashed" } });
    });
    return series;
  }

  function drawCharts() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      el.hidden = false;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      var label = function (j) { return data.labels[j] + (j === data.current ? "（" + data.current_label + "）" : ""); };
      // Every step-th label counted back from the last, so that today's period is always named.
      var last = data.labels.length - 1;
      var step = Math.max(1, Math.ceil(data.labels.length * 95 / el.clientWidth));
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis", renderMode: "richText", formatter: function (params) {
          // One line a metric: the dashed stretch repeats the finished period before today's.
          var j = params[0].dataIndex, lines = [label(j)], seen = {};
          params.forEach(function (p) {
            if (seen[p.seriesName] || (p.seriesId.indexOf("to-date-") === 0 && j !== data.current)) { return; }
            seen[p.seriesName] = true;
            lines.push(p.seriesName + "  " + percent(p.value));
          });
          return lines.join("\n");
        } },
        legend: { type: "scroll", top: 0 },
        // Room on the right for today's period's label, centred under the last point.
        grid: { left: 8, right: 28, top: 36, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: data.labels, axisLabel: {
          interval: function (j) { return (last - j) % step === 0; },
          formatter: function (value, j) { return j === data.current ? value + "\n" + data.current_label : value; }
        } },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: trendSeries(data)
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
