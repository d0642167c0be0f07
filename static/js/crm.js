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

// Autocomplete for foreign keys to large models (core/widgets.py AutocompleteSelect):
// <div data-autocomplete="url"> holds a hidden <select data-autocomplete-value> (what the form
// submits), a search box <input data-autocomplete-input> and an empty listbox. Typing asks the
// scoped endpoint for at most 20 rows; picking one puts it in the select and fires "change" on
// it (a filter bar then filters). The box's own input/change events stop here: a filter form
// listening for "input changed" must not reload the list on every keystroke.
(function () {
  "use strict";

  var DELAY = 200;

  function parts(el) {
    var box = el.closest("[data-autocomplete]");
    if (!box) { return null; }
    return {
      box: box,
      select: box.querySelector("[data-autocomplete-value]"),
      input: box.querySelector("[data-autocomplete-input]"),
      menu: box.querySelector("[role=listbox]")
    };
  }

  function selectedLabel(p) {
    var option = p.select.selectedOptions[0];
    return option && option.value ? option.textContent : "";
  }

  function close(p) {
    p.menu.classList.remove("show");
    p.menu.replaceChildren();
    p.input.setAttribute("aria-expanded", "false");
    p.input.removeAttribute("aria-activedescendant");
  }

  function choose(p, id, text) {
    var changed = p.select.value !== String(id);
    Array.prototype.slice.call(p.select.options).forEach(function (option) {
      if (option.value) { option.remove(); }
    });
    if (id !== "") { p.select.add(new Option(text, String(id), true, true)); }
    p.select.value = String(id);
    p.input.value = text;
    close(p);
    if (changed) { p.select.dispatchEvent(new Event("change", { bubbles: true })); }
  }

  function message(p, text) {
    var item = document.createElement("span");
    item.className = "dropdown-item-text text-secondary small";
    item.textContent = text;
    p.menu.replaceChildren(item);
    p.menu.classList.add("show");
    p.input.setAttribute("aria-expanded", "true");
  }

  function show(p, results) {
    if (!results.length) { message(p, p.box.getAttribute("data-autocomplete-empty") || "—"); return; }
    var items = results.map(function (row, i) {
      var item = document.createElement("button");
      item.type = "button";
      item.className = "dropdown-item";
      item.id = p.menu.id + "_" + i;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.setAttribute("data-autocomplete-id", String(row.id));
      item.textContent = row.text;
      return item;
    });
    p.menu.replaceChildren.apply(p.menu, items);
    p.menu.classList.add("show");
    p.input.setAttribute("aria-expanded", "true");
  }

  function search(p) {
    var query = p.input.value.trim();
    var min = parseInt(p.box.getAttribute("data-autocomplete-min") || "1", 10);
    if (p.box.crmAbort) { p.box.crmAbort.abort(); }
    if (query.length < min) { close(p); return; }
    var abort = new AbortController();
    p.box.crmAbort = abort;
    var url = p.box.getAttribute("data-autocomplete");
    fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(query), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      signal: abort.signal
    })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (data) {
        if (p.box.crmAbort === abort && document.activeElement === p.input) { show(p, data.results || []); }
      })
      .catch(function (err) {
        if (err.name !== "AbortError") {
          close(p);
          if (window.console) { window.console.warn("autocomplete", url, err); }
        }
      });
  }

  function active(p) { return p.menu.querySelector(".dropdown-item.active"); }

  function move(p, step) {
    var items = Array.prototype.slice.call(p.menu.querySelectorAll("[data-autocomplete-id]"));
    if (!items.length) { return; }
    var current = items.indexOf(active(p));
    var next = items[(current + step + items.length) % items.length];
    items.forEach(function (item) {
      item.classList.toggle("active", item === next);
      item.setAttribute("aria-selected", item === next ? "true" : "false");
    });
    p.input.setAttribute("aria-activedescendant", next.id);
    next.scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("input", function (e) {
    if (!e.target.matches || !e.target.matches("[data-autocomplete-input]")) { return; }
    e.stopPropagation();
    var p = parts(e.target);
    if (!p) { return; }
    if (!p.input.value.trim()) {
      choose(p, "", "");  // an emptied box clears the choice
      return;
    }
    window.clearTimeout(p.box.crmTimer);
    p.box.crmTimer = window.setTimeout(function () { search(p); }, DELAY);
  }, true);

  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-autocomplete-input]")) { e.stopPropagation(); }
  }, true);

  document.addEventListener("keydown", function (e) {
    if (!e.target.matches || !e.target.matches("[data-autocomplete-input]")) { return; }
    var p = parts(e.target);
    if (!p) { return; }
    var open = p.menu.classList.contains("show");
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (open) { move(p, e.key === "ArrowDown" ? 1 : -1); } else { search(p); }
    } else if (e.key === "Enter" && open) {
      var item = active(p) || p.menu.querySelector("[data-autocomplete-id]");
      e.preventDefault();  // never submit the form while the list is open
      if (item) { choose(p, item.getAttribute("data-autocomplete-id"), item.textContent); }
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      p.input.value = selectedLabel(p);
      close(p);
    }
  }, true);

  // mousedown: keep the focus in the box (a blur first would close the list under the click).
  document.addEventListener("mousedown", function (e) {
    if (e.target.closest && e.target.closest("[data-autocomplete] [role=listbox]")) { e.preventDefault(); }
  });
  document.addEventListener("click", function (e) {
    var item = e.target.closest && e.target.closest("[data-autocomplete-id]");
    var p = item && parts(item);
    if (p) { choose(p, item.getAttribute("data-autocomplete-id"), item.textContent); }
  });

  // Leaving the box: typed text that was not picked gives way to the current choice again.
  document.addEventListener("focusout", function (e) {
    if (!e.target.matches || !e.target.matches("[data-autocomplete-input]")) { return; }
    var p = parts(e.target);
    if (!p || (e.relatedTarget && p.box.contains(e.relatedTarget))) { return; }
    window.clearTimeout(p.box.crmTimer);
    if (p.box.crmAbort) { p.box.crmAbort.abort(); }
    if (p.input.value.trim()) { p.input.value = selectedLabel(p); }
    close(p);
  });
})();
