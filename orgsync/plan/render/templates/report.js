"use strict";
// The plan report's behaviour: filter a table by text, sort by a column, open or close the whole chart.
(function () {
  function filter(input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    var query = input.value.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var match = row.textContent.toLowerCase().indexOf(query) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    document.getElementById(input.getAttribute("data-count")).textContent = shown + " shown";
  }
  function sort(th) {
    var table = th.closest("table");
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.getAttribute("data-numeric") === "true";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.children, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].textContent, y = b.cells[index].textContent;
      var order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    input.addEventListener("input", function () { filter(input); });
  });
  document.querySelectorAll("th[data-sortable]").forEach(function (th) {
    th.addEventListener("click", function () { sort(th); });
  });
  document.querySelectorAll("button[data-chart]").forEach(function (button) {
    button.addEventListener("click", function () {
      var open = button.getAttribute("data-open") === "true";
      document.getElementById(button.getAttribute("data-chart")).querySelectorAll("details").forEach(function (d) {
        d.open = open;
      });
    });
  });
  document.body.setAttribute("data-ready", "true");
})();
