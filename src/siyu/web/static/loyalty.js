/* Membership pages: member analytics charts (new vs returning members, points by month, tiers, members vs
   non-members) and form fields shown only for the choice they belong to (coupon kind, scope, mall kind). */
(function () {
  "use strict";

  /* <input|select data-toggle="kind"> and <... data-show="kind=a,b">: the field shows when kind is a or b. */
  function wireToggles() {
    var shown = document.querySelectorAll("[data-show]");
    if (!shown.length) { return; }
    function valueOf(form, name) {
      var checked = form.querySelector("[data-toggle='" + name + "']:checked");
      if (checked) { return checked.value; }
      var el = form.querySelector("select[data-toggle='" + name + "']");
      return el ? el.value : "";
    }
    function update() {
      shown.forEach(function (el) {
        var form = el.closest("form");
        if (!form) { return; }
        var rule = el.getAttribute("data-show").split("=");
        var allowed = rule[1].split(",");
        el.classList.toggle("hidden", allowed.indexOf(valueOf(form, rule[0])) < 0);
      });
    }
    document.querySelectorAll("[data-toggle]").forEach(function (el) { el.addEventListener("change", update); });
    update();
  }

  function drawCharts() {
    var source = document.getElementById("loyalty-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var text = data.text;
    var locale = text.lang === "zh" ? "zh-CN" : "en-US";
    var fmt = function (n) { return Number(n).toLocaleString(locale); };
    var percent = function (f) { return (f * 100).toLocaleString(locale, { maximumFractionDigits: 1 }) + "%"; };
    var yuan = function (fen) {
      return "¥" + (fen / 100).toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    };
    var grid = { left: 56, right: 24, top: 40, bottom: 32 };
    var axisLine = { lineStyle: { color: "#eef0f4" } };
    var charts = [];
    function chart(id, option) {
      var el = document.getElementById(id);
      if (!el) { return; }
      var c = echarts.init(el);
      c.setOption(option);
      charts.push(c);
    }
    var months = data.months.map(function (m) { return m.slice(2); });

    chart("members-chart", {
      color: ["#e1251b", "#2f6fed"],
      grid: grid,
      legend: { top: 0, right: 0 },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      xAxis: { type: "category", data: months, axisTick: { alignWithLabel: true } },
      yAxis: { type: "value", minInterval: 1, splitLine: axisLine },
      series: [
        { name: text.new, type: "bar", barMaxWidth: 18, itemStyle: { borderRadius: [3, 3, 0, 0] }, data: data.new },
        { name: text.returning, type: "bar", barMaxWidth: 18, itemStyle: { borderRadius: [3, 3, 0, 0] }, data: data.returning }
      ]
    });

    chart("points-chart", {
      color: ["#0f9d58", "#e1251b", "#94a3b8"],
      grid: grid,
      legend: { top: 0, right: 0 },
      tooltip: { trigger: "axis", valueFormatter: fmt },
      xAxis: { type: "category", data: months, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1, splitLine: axisLine },
      series: [
        { name: text.issued, type: "line", smooth: true, symbolSize: 5, areaStyle: { opacity: 0.08 }, data: data.issued },
        { name: text.spent, type: "line", smooth: true, symbolSize: 5, data: data.spent },
        { name: text.expired, type: "line", smooth: true, symbolSize: 5, lineStyle: { type: "dashed" }, data: data.expired }
      ]
    });

    if (data.tiers.length) {
      chart("tier-chart", {
        color: ["#94a3b8", "#64748b", "#f59e0b", "#8b5cf6", "#e1251b", "#2f6fed", "#0ea5e9", "#10b981", "#ec4899", "#b7791f"],
        tooltip: { trigger: "item", formatter: function (p) { return p.marker + p.name + "<br>" + fmt(p.value) + " (" + p.percent + "%)"; } },
        legend: { bottom: 0 },
        series: [{ type: "pie", radius: ["38%", "62%"], center: ["50%", "45%"], itemStyle: { borderColor: "#fff", borderWidth: 2 },
                   label: { formatter: "{b}\n{d}%", lineHeight: 15 }, data: data.tiers }]
      });
    }

    // two small panels side by side: repurchase rate (left) and average order value (right)
    var who = [text.members, text.non_members];
    var colours = ["#e1251b", "#94a3b8"];
    var bars = function (values, label) {
      return values.map(function (v, i) { return { value: v, itemStyle: { color: colours[i], borderRadius: [3, 3, 0, 0] } }; })
        .map(function (d) { d.label = { show: true, position: "top", formatter: label }; return d; });
    };
    chart("compare-chart", {
      title: [
        { text: text.repurchase, left: "25%", top: 0, textAlign: "center", textStyle: { fontSize: 13, fontWeight: 600 } },
        { text: text.aov, left: "75%", top: 0, textAlign: "center", textStyle: { fontSize: 13, fontWeight: 600 } }
      ],
      grid: [{ left: 40, right: "54%", top: 36, bottom: 28 }, { left: "58%", right: 16, top: 36, bottom: 28 }],
      tooltip: { trigger: "item", formatter: function (p) {
        return p.marker + p.name + "：" + (p.seriesIndex === 0 ? percent(p.value) : yuan(p.value * 100));
      } },
      xAxis: [{ type: "category", data: who, gridIndex: 0 }, { type: "category", data: who, gridIndex: 1 }],
      yAxis: [
        { type: "value", gridIndex: 0, axisLabel: { formatter: function (v) { return percent(v); } }, splitLine: axisLine },
        { type: "value", gridIndex: 1, axisLabel: { formatter: function (v) { return "¥" + fmt(v); } }, splitLine: axisLine }
      ],
      series: [
        { type: "bar", xAxisIndex: 0, yAxisIndex: 0, barMaxWidth: 40,
          data: bars(data.compare.repurchase, function (p) { return percent(p.value); }) },
        { type: "bar", xAxisIndex: 1, yAxisIndex: 1, barMaxWidth: 40,
          data: bars(data.compare.aov_fen.map(function (f) { return f / 100; }), function (p) { return yuan(p.value * 100); }) }
      ]
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  function start() { wireToggles(); drawCharts(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
