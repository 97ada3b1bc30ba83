// Draws the results page's Plotly charts from the JSON the server embedded (no inline script,
// so a Content-Security-Policy needs no exception for this page). Each figure carries its
// configuration (core.charts.CONFIG: no mode bar).
document.addEventListener("DOMContentLoaded", function () {
  var source = document.getElementById("survey-charts");
  if (!source || !window.Plotly) { return; }
  var figures = JSON.parse(source.textContent);
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var figure = figures[element.dataset.chart];
    if (figure) { window.Plotly.newPlot(element, figure); }
  });
});
