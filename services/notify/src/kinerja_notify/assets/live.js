// Live badge of the Notifikasi pages: the server pushes the unread count (SSE); on a change the list refreshes.
(function () {
  var script = document.currentScript;
  var badge = document.getElementById("lencana");
  var list = document.getElementById("daftar");
  if (!script || !badge || !window.EventSource) return;
  var last = null;
  var source = new EventSource(script.dataset.stream);
  source.addEventListener("unread", function (e) {
    var n = parseInt(e.data, 10);
    badge.textContent = n;
    badge.hidden = n === 0;
    document.title = (n ? "(" + n + ") " : "") + "Notifikasi — Kinerja";
    if (list && last !== null && n !== last && window.htmx) {
      htmx.ajax("GET", list.dataset.src, { target: "#daftar", swap: "innerHTML" });
    }
    last = n;
  });
})();
