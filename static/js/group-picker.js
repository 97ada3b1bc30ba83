// The company-group picker of the accounts list and the portfolio (templates/includes/
// group_picker.html): suggestions of the groups one may see while typing (static/js/
// combobox.js), the chosen one written to the hidden `group` field. Clearing the box clears
// the group. The groups are fetched, never all rendered: a book of 10,000 accounts has 2,000.
(() => {
  "use strict";
  document.querySelectorAll("[data-group-picker]").forEach((picker) => {
    const value = picker.querySelector("[data-group-value]");
    const input = picker.querySelector("[data-group-name]");
    const status = picker.querySelector("[data-group-status]");
    let chosenName = input.value;
    const box = window.northstarCombobox({
      input,
      list: picker.querySelector("[role=listbox]"),
      status,
      url: picker.dataset.suggest,
      minLength: 1,
      counted: "groups",
      describe: (group) => ({ title: group.name, detail: group.external_id }),
      choose: (group) => {
        value.value = String(group.id);
        input.value = group.name;
        chosenName = group.name;
        input.classList.add("is-set");
        status.textContent = `Company group ${group.name} chosen`;
        box.close();
      },
    });
    input.addEventListener("input", () => {
      if (!input.value.trim()) {
        value.value = ""; // an emptied box is "any group"
        chosenName = "";
        input.classList.remove("is-set");
      }
    });
    input.addEventListener("blur", () => {
      // Typed but not chosen: show the group that still applies (or none), not text that
      // would look like a filter and do nothing.
      if (input.value !== chosenName) input.value = chosenName;
    });
  });
})();
