// refscope's HTML report: small enhancements over a page that reads without scripts. Tables sort by a click on a
// header (numbers by value, text alphabetically); `#sort=COLUMN` or `#sort=-COLUMN` in the address sorts the leak
// groups when the page opens; the icicle graph zooms into a frame on a click and back out on a click on its root.
(function () {
  "use strict";

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) return numeric ? 0 : "";
    var v = cell.getAttribute("data-value");
    if (v === null) v = cell.textContent;
    return numeric ? Number(v) : v.toLowerCase();
  }

  // Sorts the table's body rows; a row followed by its "details" row (class group-objects) moves with it.
  function sortTable(table, index, descending) {
    var header = table.tHead.rows[0].cells[index];
    var numeric = header.classList.contains("num");
    var body = table.tBodies[0];
    var units = [];
    for (var i = 0; i < body.rows.length; i++) {
      var row = body.rows[i];
      if (row.classList.contains("group-objects")) { units[units.length - 1].push(row); continue; }
      units.push([row]);
    }
    units.forEach(function (u, k) { u.order = k; });
    units.sort(function (a, b) {
      var x = cellValue(a[0], index, numeric), y = cellValue(b[0], index, numeric);
      var c = x < y ? -1 : x > y ? 1 : 0;
      if (descending) c = -c;
      return c !== 0 ? c : a.order - b.order;
    });
    units.forEach(function (u) { u.forEach(function (r) { body.appendChild(r); }); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.classList.remove("sorted-asc", "sorted-desc");
    });
    header.classList.add(descending ? "sorted-desc" : "sorted-asc");
    table.setAttribute("data-sorted", header.getAttribute("data-key") + (descending ? ":desc" : ":asc"));
  }

  function makeSortable(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      th.classList.add("sortable");
      th.addEventListener("click", function () {
        var descending = !th.classList.contains("sorted-desc");
        if (th.classList.contains("sorted-asc")) descending = true;
        else if (th.classList.contains("sorted-desc")) descending = false;
        else descending = th.classList.contains("num");  // numbers: largest first on the first click
        sortTable(table, index, descending);
      });
    });
  }

  function sortFromAddress() {
    var m = /(?:^|[#&])sort=(-?)([a-z_]+)/.exec(window.location.hash);
    var table = document.getElementById("leak-groups");
    if (!m || !table) return;
    var cells = table.tHead.rows[0].cells;
    for (var i = 0; i < cells.length; i++)
      if (cells[i].getAttribute("data-key") === m[2]) sortTable(table, i, m[1] === "-");
  }

  // Icicle graph: every frame is a <g> with data-x and data-w (fractions of the root's width); a click shows that
  // frame's subtree across the whole width.
  function zoomIcicle(svg, target) {
    var x0 = Number(target.getAttribute("data-x")), w0 = Number(target.getAttribute("data-w"));
    var depth0 = Number(target.getAttribute("data-depth"));
    var width = Number(svg.getAttribute("data-width"));
    Array.prototype.forEach.call(svg.querySelectorAll("g.frame"), function (g) {
      var x = Number(g.getAttribute("data-x")), w = Number(g.getAttribute("data-w"));
      var depth = Number(g.getAttribute("data-depth"));
      var inside = x >= x0 - 1e-12 && x + w <= x0 + w0 + 1e-12 && depth >= depth0;
      var above = depth < depth0 && x <= x0 + 1e-12 && x + w >= x0 + w0 - 1e-12;
      var rect = g.querySelector("rect"), text = g.querySelector("text");
      if (!inside && !above) { g.style.display = "none"; return; }
      g.style.display = "";
      var nx = above ? 0 : (x - x0) / w0 * width, nw = above ? width : w / w0 * width;
      rect.setAttribute("x", nx.toFixed(2));
      rect.setAttribute("width", Math.max(nw - 0.5, 0.5).toFixed(2));
      text.setAttribute("x", (nx + 3).toFixed(2));
      var label = g.getAttribute("data-label");
      var fits = Math.floor((nw - 6) / 6.5);
      text.textContent = fits >= label.length ? label : fits > 2 ? label.slice(0, fits - 1) + "\u2026" : "";
    });
    svg.setAttribute("data-zoom", target.getAttribute("data-label"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    sortFromAddress();
    Array.prototype.forEach.call(document.querySelectorAll("svg.flame"), function (svg) {
      svg.addEventListener("click", function (e) {
        var g = e.target.closest ? e.target.closest("g.frame") : null;
        if (g) zoomIcicle(svg, g);
      });
    });
    document.body.setAttribute("data-script", "ready");
  });
})();
