// The header's search box: suggestions while typing, chosen with the arrow keys and Enter
// (static/js/combobox.js). Without script the box is a plain GET form to the results page.
(() => {
  "use strict";
  const form = document.querySelector("form.search[data-suggest]");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  window.northstarCombobox({
    input,
    list: form.querySelector("[role=listbox]"),
    status: form.querySelector("[role=status]"),
    url: form.dataset.suggest,
    minLength: 2,
    counted: "suggestions",
    describe: (result) => ({ group: result.kind_label, title: result.title, detail: result.detail }),
    choose: (result) => window.location.assign(result.url),
  });
  document.addEventListener("keydown", (event) => {
    // "/" focuses the search box from anywhere except a field being typed in.
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing) {
      event.preventDefault();
      input.focus();
    }
  });
})();
