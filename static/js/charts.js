// Draws every chart core.charts.chart_html wrote into the page: an empty <div> and, beside it,
// its figure as JSON data (<script type="application/json" data-chart-for="ID">). The figure
// carries its configuration (core.charts.CONFIG: no mode bar), so every page draws charts the
// same way. Loaded with `defer` after plotly.js (templates/includes/plotly.html).
(() => {
  "use strict";
  if (!window.Plotly) return; // plotly.js failed to load: the charts' labels still describe them
  document.querySelectorAll("script[type='application/json'][data-chart-for]").forEach((data) => {
    const element = document.getElementById(data.dataset.chartFor);
    if (element) window.Plotly.newPlot(element, JSON.parse(data.textContent));
  });
})();
