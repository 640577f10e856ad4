/* Dashboard charts: GMV (bars, yuan) with paid orders (line) over time, and orders by channel (pie). */
(function () {
  "use strict";
  function start() {
    if (!window.echarts) { return; }
    var data = JSON.parse(document.getElementById("dashboard-data").textContent);
    var text = JSON.parse(document.getElementById("dashboard-text").textContent);
    var locale = text.lang === "zh" ? "zh-CN" : "en-US";
    var yuan = function (fen) {
      return "¥" + (fen / 100).toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    };
    var short = function (fen) {
      var v = fen / 100;
      if (text.lang === "zh" && v >= 10000) { return "¥" + (v / 10000).toLocaleString(locale, { maximumFractionDigits: 1 }) + "万"; }
      if (text.lang !== "zh" && v >= 1000) { return "¥" + (v / 1000).toLocaleString(locale, { maximumFractionDigits: 1 }) + "k"; }
      return "¥" + v.toLocaleString(locale, { maximumFractionDigits: 0 });
    };
    var palette = ["#e1251b", "#2f6fed", "#f59e0b", "#10b981", "#8b5cf6", "#0ea5e9", "#ec4899", "#64748b"];
    var charts = [];

    var trendEl = document.getElementById("trend-chart");
    if (trendEl) {
      var trend = echarts.init(trendEl);
      trend.setOption({
        color: ["#e1251b", "#2f6fed"],
        grid: { left: 64, right: 48, top: 40, bottom: 36 },
        legend: { top: 0, right: 0, data: [text.gmv, text.orders] },
        tooltip: {
          trigger: "axis",
          formatter: function (items) {
            var label = items[0].axisValue;
            if (text.grain === "week") { label = text.week.replace("%s", label); }
            var lines = [label];
            items.forEach(function (it) {
              var v = it.seriesIndex === 0 ? yuan(data.gmv_fen[it.dataIndex]) : it.value.toLocaleString(locale);
              lines.push(it.marker + it.seriesName + "：" + v);
            });
            return lines.join("<br>");
          }
        },
        xAxis: { type: "category", data: data.labels, axisTick: { alignWithLabel: true },
                 axisLabel: { formatter: function (v) { return v.slice(5); } } },
        yAxis: [
          { type: "value", axisLabel: { formatter: function (v) { return short(v * 100); } }, splitLine: { lineStyle: { color: "#eef0f4" } } },
          { type: "value", minInterval: 1, splitLine: { show: false } }
        ],
        series: [
          { name: text.gmv, type: "bar", barMaxWidth: 22, itemStyle: { borderRadius: [3, 3, 0, 0] },
            data: data.gmv_fen.map(function (f) { return f / 100; }) },
          { name: text.orders, type: "line", yAxisIndex: 1, smooth: true, symbolSize: 5, data: data.orders }
        ]
      });
      charts.push(trend);
    }

    var channelEl = document.getElementById("channel-chart");
    if (channelEl && data.channels.length) {
      var pie = echarts.init(channelEl);
      pie.setOption({
        color: palette,
        tooltip: { trigger: "item", formatter: function (p) {
          var c = data.channels[p.dataIndex];
          return p.marker + c.name + "<br>" + text.orders + "：" + c.orders.toLocaleString(locale) + " (" + p.percent + "%)<br>" + text.gmv + "：" + yuan(c.gmv_fen);
        } },
        series: [{ type: "pie", radius: ["36%", "60%"], center: ["50%", "52%"], avoidLabelOverlap: true,
                   labelLine: { length: 10, length2: 8 },
                   itemStyle: { borderColor: "#fff", borderWidth: 2 },
                   label: { formatter: "{b}\n{d}%", overflow: "none", lineHeight: 15 },
                   data: data.channels.map(function (c) { return { name: c.name, value: c.orders }; }) }]
      });
      charts.push(pie);
    }
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
