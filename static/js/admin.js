// The admin's autocomplete boxes (select2) name their combobox after the selected value only, so
// an empty one has no accessible name: name each after its field's label (or the select's own
// aria-label in a table row), as a plain <select> is. Runs after Django's autocomplete.js has
// built the boxes, and again for each inline row added.
(() => {
  "use strict";
  let labels = 0;
  const name = (root) => {
    root.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const box = select.nextElementSibling;
      const selection = box && box.querySelector(".select2-selection");
      if (!selection) return;
      const rendered = selection.querySelector(".select2-selection__rendered");
      const label = select.id && document.querySelector(`label[for="${select.id}"]`);
      if (label) {
        if (!label.id) label.id = `autocomplete-label-${++labels}`;
        const value = rendered && rendered.id ? ` ${rendered.id}` : "";
        selection.setAttribute("aria-labelledby", label.id + value);
        if (rendered) rendered.setAttribute("aria-labelledby", label.id);
      } else if (select.getAttribute("aria-label")) {
        selection.removeAttribute("aria-labelledby");
        selection.setAttribute("aria-label", select.getAttribute("aria-label"));
        if (rendered) rendered.setAttribute("aria-label", select.getAttribute("aria-label"));
      }
    });
  };
  // Django's autocomplete.js builds the boxes in a jQuery ready handler registered before
  // this one, which therefore runs after it.
  if (window.django && window.django.jQuery) window.django.jQuery(() => name(document));
  document.addEventListener("formset:added", (event) => setTimeout(() => name(event.target)));
})();
