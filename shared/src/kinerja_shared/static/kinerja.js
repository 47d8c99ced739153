// Kinerja page behaviours, declared in templates with data-* attributes: the Content-Security-Policy allows no
// inline script, so pages carry data and this one file carries the code. Every page works without it.
(function () {
  "use strict";

  function json(el, name) {
    var v = el.getAttribute(name);
    return v ? JSON.parse(v) : null;
  }

  function charts(root) {
    if (typeof Chart === "undefined") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (c) {
      if (c.dataset.drawn) return;
      c.dataset.drawn = "1";
      new Chart(c, json(c, "data-chart"));  // the config is built server-side (labels, data, options)
    });
  }

  function bind(root) {
    root.querySelectorAll("[data-autosubmit]").forEach(function (el) {
      el.addEventListener("change", function () { el.form && el.form.submit(); });
    });
    root.querySelectorAll("[data-print]").forEach(function (el) {
      el.addEventListener("click", function () { window.print(); });
    });
    root.querySelectorAll("[data-check-all]").forEach(function (box) {
      box.addEventListener("click", function () {
        document.querySelectorAll(box.getAttribute("data-check-all")).forEach(function (c) { c.checked = box.checked; });
      });
    });
    // live fragment over Server-Sent Events; EventSource reconnects by itself
    root.querySelectorAll("[data-sse-src]").forEach(function (el) {
      var es = new EventSource(el.getAttribute("data-sse-src"));
      var dot = el.getAttribute("data-sse-dot") && document.getElementById(el.getAttribute("data-sse-dot"));
      es.addEventListener(el.getAttribute("data-sse-event") || "message", function (e) {
        el.innerHTML = e.data;
        charts(el);  // a pushed fragment may carry data-chart canvases
      });
      es.onopen = function () { dot && dot.classList.add("on"); };
      es.onerror = function () { dot && dot.classList.remove("on"); };
    });
    // Table P1 preview on the penilaian form: data-p1 holds the matrix and labels
    root.querySelectorAll("form[data-p1]").forEach(function (form) {
      var p1 = json(form, "data-p1"), out = document.getElementById(form.getAttribute("data-p1-out"));
      function show() {
        var h = form.querySelector("[data-p1-hasil]"), p = form.querySelector("[data-p1-perilaku]");
        if (h && p && out && p1.matrix[h.value]) out.textContent = p1.labels[p1.matrix[h.value][p.value]] || "";
      }
      form.addEventListener("change", show);
      show();
    });
    charts(root);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { bind(document); });
  else bind(document);
  // Chart.js may be a later deferred script: draw what is still undrawn once everything has loaded
  window.addEventListener("load", function () { charts(document); });
})();
