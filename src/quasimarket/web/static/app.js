// quasimarket web: a few lines of progressive enhancement, written for this project.
// Pages work without it; with it: live contract checks, job progress, Plotly charts.
(function () {
  "use strict";

  function csrf() {
    var form = document.querySelector("input[name=csrf_token]");
    return form ? form.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body)
    }).then(function (r) { return r.json(); });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // -- charts ---------------------------------------------------------------------------
  function drawCharts() {
    if (!window.Plotly) { return; }
    document.querySelectorAll("[data-figure]").forEach(function (div) {
      var data = document.getElementById(div.getAttribute("data-figure"));
      if (!data) { return; }
      var fig = JSON.parse(data.textContent);
      window.Plotly.newPlot(div, fig.data, fig.layout, { responsive: true, displaylogo: false });
      div.setAttribute("data-drawn", "true");
    });
  }

  function loadPlotly() {
    if (!document.querySelector("[data-figure]")) { return; }
    var script = el("script", { src: "/static/vendor/plotly.min.js" });
    script.onload = drawCharts;
    document.head.appendChild(script);
  }

  // -- contract designer: live validation -----------------------------------------------
  function showErrors(form, report) {
    var byField = {};
    (report.errors || []).forEach(function (e) { byField[e.field] = e; });
    form.querySelectorAll("[data-error-for]").forEach(function (span) {
      var name = span.getAttribute("data-error-for");
      var group = span.closest(".nhsuk-form-group");
      var error = byField[name];
      span.textContent = "";
      if (error) {
        span.appendChild(el("span", { "class": "nhsuk-u-visually-hidden" }, "Error: "));
        span.appendChild(document.createTextNode(
          error.problem + (error.expected ? " (expected: " + error.expected + ")" : "")));
        span.hidden = false;
        if (group) { group.classList.add("nhsuk-form-group--error"); }
      } else {
        span.hidden = true;
        if (group) { group.classList.remove("nhsuk-form-group--error"); }
      }
    });
    var slot = document.getElementById("error-summary-slot");
    if (slot) {
      slot.textContent = "";
      if (report.errors && report.errors.length) {
        var box = el("div", { "class": "nhsuk-error-summary", role: "alert", id: "error-summary" });
        box.appendChild(el("h2", { "class": "nhsuk-error-summary__title" }, "There is a problem"));
        var list = el("ul", { "class": "nhsuk-list nhsuk-error-summary__list" });
        report.errors.forEach(function (e) {
          var li = el("li");
          li.appendChild(el("a", { href: "#field-" + e.field.replace(/\./g, "-") },
            e.problem + (e.location ? " (" + e.location + ")" : "")));
          list.appendChild(li);
        });
        box.appendChild(list);
        slot.appendChild(box);
      }
    }
    var summary = document.getElementById("contract-summary");
    if (summary) {
      summary.textContent = "";
      if (report.valid) {
        var ul = el("ul", { "class": "nhsuk-list nhsuk-list--bullet" });
        (report.summary || []).forEach(function (s) { ul.appendChild(el("li", {}, s)); });
        summary.appendChild(ul);
      } else {
        summary.appendChild(el("p", { "class": "nhsuk-body" }, "Correct the problems above to see the summary."));
      }
    }
  }

  function fillForm(form, values) {
    if (!values) { return; }
    ["name", "year", "form"].forEach(function (k) {
      var input = form.querySelector("[data-field='" + k + "']");
      if (input && values[k] !== undefined && document.activeElement !== input) { input.value = values[k]; }
    });
    (values.lines || []).forEach(function (line, i) {
      Object.keys(line).forEach(function (k) {
        var input = form.querySelector("[data-field='lines." + i + "." + k + "']");
        if (input && document.activeElement !== input) { input.value = line[k]; }
      });
    });
  }

  function liveDesigner() {
    var form = document.getElementById("designer");
    if (!form) { return; }
    var text = form.querySelector("[data-field=text]");
    var timer = null;
    function check(source) {
      var fields = {};
      if (source === "form") {
        form.querySelectorAll("input[data-field]").forEach(function (i) {
          fields[i.getAttribute("data-field")] = i.value;
        });
      }
      post(source === "form" ? "/api/contracts/apply-form" : "/api/contracts/validate",
        source === "form" ? { text: text.value, fields: fields } : { text: text.value })
        .then(function (report) {
          if (source === "form" && report.text !== undefined && report.valid !== undefined) {
            text.value = report.text;
          }
          if (source === "text") { fillForm(form, report.form); }
          showErrors(form, report);
          form.setAttribute("data-checked", String(Date.now()));
        });
    }
    form.addEventListener("input", function (event) {
      var target = event.target;
      if (!target.hasAttribute || !target.hasAttribute("data-field")) { return; }
      var source = target === text ? "text" : "form";
      clearTimeout(timer);
      timer = setTimeout(function () { check(source); }, 350);
    });
  }

  // -- jobs -----------------------------------------------------------------------------
  function followJob() {
    var box = document.querySelector("[data-job]");
    if (!box) { return; }
    var id = box.getAttribute("data-job");
    function poll() {
      fetch("/api/jobs/" + id, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          document.getElementById("job-state").textContent = job.state;
          document.getElementById("job-message").textContent = job.message || "";
          var bar = document.getElementById("job-progress");
          bar.value = job.progress || 0;
          bar.textContent = Math.round((job.progress || 0) * 100) + "%";
          if (job.state === "done") {
            var link = document.getElementById("job-run-link");
            link.href = "/runs/" + job.run_id;
            document.getElementById("job-done").hidden = false;
          } else if (job.state === "failed") {
            document.getElementById("job-error-text").textContent = job.error || "";
            document.getElementById("job-error").hidden = false;
          } else {
            setTimeout(poll, 600);
          }
        });
    }
    poll();
  }

  // -- confirmations --------------------------------------------------------------------
  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    loadPlotly();
    liveDesigner();
    followJob();
    confirmations();
  });
})();
