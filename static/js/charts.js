/* Charts drawn with uPlot (static/vendor/uplot, served by the project, no CDN) from the data
   a page embeds with json_script. Every chart sits next to a table with the same figures, so
   the canvas is hidden from screen readers and a page without scripts loses nothing. */
(function () {
  "use strict";
  if (typeof uPlot === "undefined") return;
  var lang = document.documentElement.lang || "de";
  // The same tones as .tone-N in app.css (legend swatches).
  var TONES = ["#7aa6c2", "#1b4965", "#c0392b", "#2e7d32"];
  var money = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR", minimumFractionDigits: 0, maximumFractionDigits: 0 });

  function options(data, width) {
    var labels = data.labels;
    var series = [{}];
    data.series.forEach(function (s) {
      var colour = TONES[(s.tone - 1) % TONES.length];
      var item = { label: s.label, stroke: colour, width: s.kind === "bar" ? 0 : 3, points: { show: false } };
      if (s.kind === "bar") {
        item.fill = colour;
        item.paths = uPlot.paths.bars({ size: [0.6, 48], align: 0 });
        item.fillTo = 0;
      }
      if (s.kind === "dashed") item.dash = [8, 6];
      series.push(item);
    });
    return {
      width: width,
      height: data.height || 240,
      series: series,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: [-0.6, labels.length - 0.4] },
        y: {
          range: function (u, min, max) {
            return [Math.min(0, min), Math.max(1, max * 1.1)];
          },
        },
      },
      axes: [
        {
          splits: labels.map(function (_l, i) { return i; }),
          // Every label where there is room, otherwise every second or third (a phone).
          values: function (u, splits) {
            var step = Math.max(1, Math.ceil((labels.length * 84) / (u.width || 600)));
            return splits.map(function (i) { return i % step === 0 ? labels[i] || "" : ""; });
          },
          grid: { show: false },
        },
        {
          size: 72,
          values: function (u, splits) { return splits.map(function (v) { return money.format(v); }); },
        },
      ],
    };
  }

  function draw(box) {
    var source = document.getElementById(box.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var columns = [data.labels.map(function (_l, i) { return i; })];
    data.series.forEach(function (s) { columns.push(s.values.map(Number)); });
    var plot = new uPlot(options(data, box.clientWidth || 600), columns, box);
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        plot.setSize({ width: box.clientWidth, height: data.height || 240 });
      }).observe(box);
    }
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
})();
