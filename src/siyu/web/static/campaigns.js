// SMS campaigns: variable buttons in the composer, and the results chart.
(function () {
  "use strict";

  function insertAt(area, text) {
    var start = area.selectionStart || 0;
    var end = area.selectionEnd || 0;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function composer() {
    var area = document.getElementById("sms-body");
    if (!area) { return; }
    document.querySelectorAll("[data-insert]").forEach(function (button) {
      button.addEventListener("click", function () { insertAt(area, button.getAttribute("data-insert")); });
    });
  }

  function chart() {
    var el = document.getElementById("campaign-chart");
    if (!el || !window.echarts) { return; }
    var data = JSON.parse(document.getElementById("campaign-series").textContent);
    var text = JSON.parse(document.getElementById("campaign-text").textContent);
    var line = function (key) { return { name: text[key], type: "bar", data: data[key] }; };
    var c = echarts.init(el);
    c.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 20, top: 40, bottom: 30 },
      xAxis: { type: "category", data: data.days },
      yAxis: { type: "value", minInterval: 1 },
      series: [line("sent"), line("delivered"), line("clicked"), line("orders")]
    });
    window.addEventListener("resize", function () { c.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () { composer(); chart(); });
})();
