/* Yearly coverage chart: customers per number of marketing SMS received, those below the minimum in red. */
(function () {
  "use strict";
  function chart() {
    var el = document.getElementById("coverage-chart");
    if (!el || !window.echarts) { return; }
    var data = JSON.parse(document.getElementById("coverage-data").textContent);
    var bars = data.customers.map(function (n, i) {
      return { value: n, itemStyle: { color: i < data.minimum ? "#e1251b" : "#2e9d5b" } };
    });
    var c = echarts.init(el);
    c.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 20, top: 20, bottom: 40 },
      xAxis: { type: "category", data: data.labels, name: data.axis, nameLocation: "middle", nameGap: 28 },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: data.name, type: "bar", data: bars }]
    });
    window.addEventListener("resize", function () { c.resize(); });
  }
  document.addEventListener("DOMContentLoaded", chart);
})();
