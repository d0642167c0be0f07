// Guanxi CRM front-end glue. No inline scripts anywhere (strict CSP): behaviour is attached here.
(function () {
  "use strict";

  // Tabler 1.6 bundles Bootstrap but exposes it as window.tabler (Modal, Dropdown…), not window.bootstrap.
  function bs() {
    return window.bootstrap || (window.tabler && (window.tabler.bootstrap || window.tabler)) || null;
  }

  // Ctrl+K / Cmd+K opens global search.
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
      e.preventDefault();
      var modal = document.getElementById("search-modal");
      var lib = bs();
      if (modal && lib && lib.Modal) {
        lib.Modal.getOrCreateInstance(modal).show();
      }
    }
  });
  document.addEventListener("shown.bs.modal", function (e) {
    var input = e.target.querySelector("#search-input");
    if (input) { input.focus(); input.select(); }
  });

  // "Select all" checkbox in list tables.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches("[data-select-all]")) {
      var table = el.closest("table");
      table.querySelectorAll('input[name="pk"]').forEach(function (box) { box.checked = el.checked; });
    }
    if (el.matches("[data-autosubmit]")) {
      el.form.requestSubmit();
    }
    updateBulk();
  });

  function updateBulk() {
    var count = document.querySelectorAll('input[name="pk"]:checked').length;
    document.querySelectorAll("[data-bulk-action]").forEach(function (b) { b.disabled = count === 0; });
    var label = document.getElementById("bulk-count");
    if (label) { label.textContent = count; }
  }
  document.addEventListener("htmx:afterSwap", updateBulk);
  document.addEventListener("DOMContentLoaded", updateBulk);

  // Dependent selects (province → city → district: a select whose hx-target is the next one).
  // When a parent changes, its dependents are emptied at once, in the capture phase, before htmx
  // builds any request: a filter bar then never filters by a city of the previous province and
  // needs a single request; htmx refills the next level from the region endpoint.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el.tagName !== "SELECT" || !el.hasAttribute("hx-target")) { return; }
    var target = document.querySelector(el.getAttribute("hx-target"));
    for (var depth = 0; target && target.tagName === "SELECT" && depth < 5; depth++) {
      target.value = "";
      if (depth > 0) {  // below the next level nothing matches any more until that is chosen
        while (target.options.length > 1) { target.remove(1); }
      }
      target = target.hasAttribute("hx-target") ? document.querySelector(target.getAttribute("hx-target")) : null;
    }
  }, true);

  // Saved views on list pages: the filter bar updates the results in place (htmx), so the
  // highlighted view button has to follow: "All" only while no filter is set.
  function markSavedViews(form) {
    var bar = form.closest(".card-body") && form.closest(".card-body").querySelector('[role="tablist"]');
    if (!bar) { return; }
    var view = "", filtered = false;
    new FormData(form).forEach(function (value, name) {
      if (name === "view") { view = String(value); } else if (String(value).trim() !== "") { filtered = true; }
    });
    bar.querySelectorAll("a.btn").forEach(function (link) {
      var href = link.getAttribute("href") || "";
      var active;
      if (href === "?") { active = !view && !filtered; } else if (href.indexOf("?view=") === 0) { active = href.slice(6) === view; } else { return; }
      link.classList.toggle("btn-primary", active);
      link.classList.toggle("btn-ghost-secondary", !active);
      if (active) { link.setAttribute("aria-current", "true"); } else { link.removeAttribute("aria-current"); }
    });
  }
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (form && form.id === "filter-form" && e.detail.successful) { markSavedViews(form); }
  });

  // Confirmation for destructive buttons: data-confirm="text".
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-confirm]");
    if (btn && !window.confirm(btn.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopPropagation();
    }
  }, true);

  // ECharts' default tooltip is HTML whose markers and layout are style attributes (innerHTML),
  // which the CSP's style-src refuses. The richText tooltip is drawn on the chart's canvas, so
  // it is confined to it (a canvas cannot draw outside itself). Every chart, whatever its option.
  function canvasTooltips(option) {
    if (!option.tooltip) { return; }
    option.tooltip = [].concat(option.tooltip).map(function (tooltip) {
      return Object.assign({ confine: true }, tooltip, { renderMode: "richText" });
    });
  }

  // Charts: <div data-echarts="url-of-json-option">; numbers and export live next to the chart.
  function renderCharts(root) {
    if (!window.echarts) { return; }
    (root || document).querySelectorAll("[data-echarts]").forEach(function (el) {
      if (el.dataset.rendered) { return; }
      el.dataset.rendered = "loading";  // "1" once drawn; removed again if loading failed
      fetch(el.getAttribute("data-echarts"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          return r.json();
        })
        .then(function (option) {
          // Bar charts ask for room for every category label (not an ECharts option): ECharts
          // draws that height and the box follows its content (.crm-chart-fit), no style from us.
          var height = option.crmHeight;
          delete option.crmHeight;
          var opts = { locale: document.documentElement.lang.indexOf("zh") === 0 ? "ZH" : "EN" };
          if (height) { opts.height = height; el.classList.add("crm-chart-fit"); }
          canvasTooltips(option);
          var chart = window.echarts.init(el, null, opts);
          chart.setOption(option);
          el.dataset.rendered = "1";
          window.addEventListener("resize", function () { chart.resize(); });
        })
        .catch(function (err) {
          // A failed chart must not break the page: say so where the chart would be.
          delete el.dataset.rendered;
          el.classList.add("crm-chart-error");
          el.textContent = el.getAttribute("data-echarts-error") || "—";
          if (window.console) { window.console.warn("chart", el.getAttribute("data-echarts"), err); }
        });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(); });
  document.addEventListener("htmx:afterSwap", function (e) { renderCharts(e.target); });
})();
