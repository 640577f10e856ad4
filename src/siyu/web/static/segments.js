/* Segments charts: the R score × F score heat map (customers; spend in the tooltip) and the stage bars. */
(function () {
  "use strict";
  function start() {
    if (!window.echarts) { return; }
    var charts = [];
    var rfmEl = document.getElementById("rfm-heatmap");
    if (rfmEl) {
      var data = JSON.parse(document.getElementById("rfm-data").textContent);
      var t = data.text;
      var locale = t.lang === "zh" ? "zh-CN" : "en-US";
      var yuan = function (fen) {
        return "¥" + (fen / 100).toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      };
      var spend = {};
      var max = 1;
      data.matrix.forEach(function (c) { spend[c[0] + ":" + c[1]] = c[3]; if (c[2] > max) { max = c[2]; } });
      var cells = [];
      for (var f = 1; f <= 5; f++) {
        for (var r = 1; r <= 5; r++) {
          var found = data.matrix.filter(function (c) { return c[0] === f && c[1] === r; })[0];
          cells.push([f - 1, r - 1, found ? found[2] : 0]);
        }
      }
      var heat = echarts.init(rfmEl);
      heat.setOption({
        grid: { left: 70, right: 90, top: 16, bottom: 50 },
        tooltip: { formatter: function (p) {
          var key = (p.value[0] + 1) + ":" + (p.value[1] + 1);
          return "R " + (p.value[1] + 1) + " · F " + (p.value[0] + 1) + "<br>" + t.customers + "：" +
            p.value[2].toLocaleString(locale) + "<br>" + t.spend + "：" + yuan(spend[key] || 0);
        } },
        xAxis: { type: "category", data: ["1", "2", "3", "4", "5"], name: t.f, nameLocation: "middle", nameGap: 30, splitArea: { show: true } },
        yAxis: { type: "category", data: ["1", "2", "3", "4", "5"], name: t.r, nameLocation: "middle", nameGap: 40, splitArea: { show: true } },
        visualMap: { min: 0, max: max, calculable: true, orient: "vertical", right: 0, top: "middle",
                     inRange: { color: ["#fff5f4", "#f8b4ae", "#e1251b", "#8f140d"] } },
        series: [{ type: "heatmap", data: cells, label: { show: true, formatter: function (p) { return p.value[2] ? p.value[2].toLocaleString(locale) : ""; } },
                   itemStyle: { borderColor: "#fff", borderWidth: 2 },
                   emphasis: { itemStyle: { shadowBlur: 8, shadowColor: "rgba(0,0,0,.25)" } } }]
      });
      charts.push(heat);
    }
    var stageData = document.getElementById("stage-data");
    if (stageData) {
      var sd = JSON.parse(stageData.textContent);
      var colors = { lifecycle: "#e1251b", loyalty: "#2f6fed", monetary: "#f59e0b" };
      sd.groups.forEach(function (g) {
        var el = document.getElementById("stage-chart-" + g.kind);
        if (!el) { return; }
        var bar = echarts.init(el);
        bar.setOption({
          color: [colors[g.kind] || "#64748b"],
          grid: { left: 8, right: 16, top: 10, bottom: 4, containLabel: true },
          tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
          xAxis: { type: "category", data: g.names, axisLabel: { interval: 0, fontSize: 11 } },
          yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#eef0f4" } } },
          series: [{ name: sd.text.customers, type: "bar", barMaxWidth: 34, data: g.values,
                     itemStyle: { borderRadius: [3, 3, 0, 0] }, label: { show: true, position: "top", fontSize: 11 } }]
        });
        charts.push(bar);
      });
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
