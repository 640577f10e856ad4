// Group data: joins and leaves per day (line) and members per sub-group (bar), drawn with ECharts.
(function () {
  "use strict";

  function read(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function draw(el, option) {
    var c = echarts.init(el);
    c.setOption(option);
    window.addEventListener("resize", function () { c.resize(); });
  }

  function charts() {
    if (!window.echarts) { return; }
    var data = read("group-series");
    var text = read("group-text");
    if (!data || !text) { return; }
    var joins = document.getElementById("group-joins-chart");
    if (joins) {
      draw(joins, {
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 20, top: 40, bottom: 30 },
        xAxis: { type: "category", data: data.days, boundaryGap: false },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: text.joins, type: "line", smooth: true, data: data.joins, color: "#1a7f37" },
          { name: text.leaves, type: "line", smooth: true, data: data.leaves, color: "#e1251b" }
        ]
      });
    }
    var subs = document.getElementById("group-subs-chart");
    if (subs) {
      draw(subs, {
        tooltip: {
          trigger: "axis",
          formatter: function (items) {
            var i = items[0].dataIndex;
            var esc = echarts.format.encodeHTML;
            return esc(data.subs[i]) + "<br>" + esc(text.members) + ": " + data.members[i] + " / " + data.capacity[i];
          }
        },
        legend: { top: 0 },
        grid: { left: 50, right: 20, top: 40, bottom: 50 },
        xAxis: { type: "category", data: data.subs, axisLabel: { interval: 0, rotate: data.subs.length > 6 ? 30 : 0 } },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: text.members, type: "bar", data: data.members, color: "#e1251b", barMaxWidth: 36 }
        ]
      });
    }
  }

  document.addEventListener("DOMContentLoaded", charts);
})();
