// The playbook editor, progressively enhanced (no inline script: the CSP forbids it). Without
// this file every field shows, labelled with the trigger or action types it is for, and each
// edit offers a few empty rows. With it: only the chosen type's fields show, and "Add a
// condition" / "Add a step" add rows in place from the formset's empty form.
(function () {
  "use strict";

  // Show the fields of a scope (the trigger, or one action) that its type select uses.
  function sync(scope) {
    var select = scope.querySelector("[data-type-select]");
    if (!select) { return; }
    // Nothing chosen yet (an empty row): only the common fields, until a type is chosen.
    scope.querySelectorAll("[data-show-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-show-for").split(" ").indexOf(select.value) === -1;
    });
    scope.classList.add("types-shown");
  }

  function addRow(prefix) {
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var rows = document.querySelector('[data-rows="' + prefix + '"]');
    if (!total || !template || !rows) { return; }
    var index = parseInt(total.value, 10);
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    var legend = row.querySelector("legend");
    if (legend && !legend.classList.contains("visually-hidden")) {
      legend.textContent = "Action " + (index + 1);
    }
    var position = row.querySelector('[name$="-position"]');
    if (position) { position.value = String(index + 1); }
    rows.appendChild(row);
    total.value = String(index + 1);
    if (row.hasAttribute("data-type-scope")) { sync(row); }
    var first = row.querySelector("select, input:not([type=hidden]), textarea");
    if (first) { first.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-type-scope]").forEach(sync);
    document.addEventListener("change", function (event) {
      if (event.target.matches("[data-type-select]")) {
        sync(event.target.closest("[data-type-scope]"));
      }
    });
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        addRow(button.getAttribute("data-add-row"));
      });
    });
  });
})();
