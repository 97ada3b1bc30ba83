// The accounts list's bulk actions: a "select the page" box, the live count of ticked rows,
// and the scope following the ticks. Without script the checkboxes and the form still work:
// the server says "Select at least one account." when nothing is ticked.
(() => {
  "use strict";
  const form = document.getElementById("bulk-form");
  if (!form) return;
  const all = document.getElementById("bulk-all");
  const rows = Array.from(form.querySelectorAll("input.bulk-row"));
  const count = document.getElementById("bulk-count");
  const selected = form.querySelector("input[name=scope][value=selected]");
  const everything = form.querySelector("input[name=scope][value=filter]");

  const ticked = () => rows.filter((row) => row.checked).length;
  const refresh = () => {
    const n = ticked();
    count.textContent = n ? `${n} selected` : "tick them below";
    all.checked = n > 0 && n === rows.length;
    all.indeterminate = n > 0 && n < rows.length;
  };

  all.hidden = false;
  all.addEventListener("change", () => {
    rows.forEach((row) => { row.checked = all.checked; });
    selected.checked = true;
    refresh();
  });
  rows.forEach((row) => row.addEventListener("change", () => {
    if (row.checked) selected.checked = true;
    refresh();
  }));
  form.addEventListener("submit", (event) => {
    if (selected.checked && ticked() === 0) {
      event.preventDefault();
      count.textContent = "tick at least one row, or choose all accounts";
      (rows[0] || everything).focus();
    }
  });
  refresh();
})();
