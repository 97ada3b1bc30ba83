// The 360 page's forms (notes, tasks, sentiment, survey sends, alerts) work in place: the form
// is posted with fetch, and its card, and the parts of the page it changes (data-in-place: ids),
// are replaced by those of the page the server answers with: the same page a plain post shows,
// with errors at their fields and what was typed kept, or the outcome beside the form. Its
// status line is a live region, kept in the page, so a screen reader reads the outcome. Without
// script (or when fetch fails) the forms post as plain forms.
(() => {
  "use strict";

  const replace = (current, fresh) => {
    // Keep the card's live region in the document (one newly inserted is not read out) and give
    // it the new text once the rest is in place.
    const status = current.querySelector(".form-status");
    const freshStatus = fresh.querySelector(".form-status");
    if (status && freshStatus) freshStatus.replaceWith(status);
    current.replaceChildren(...fresh.childNodes);
    if (status) {
      status.textContent = "";
      const outcome = freshStatus ? [...freshStatus.childNodes] : [];
      setTimeout(() => status.replaceChildren(...outcome), 50);
    }
  };

  const plainly = (form, submitter) => {
    form.dataset.plain = "1"; // posted as a plain form: nothing was written, the page says why
    form.requestSubmit(submitter || undefined);
  };

  const submit = async (form, submitter) => {
    const card = form.closest("section[id]");
    const ids = [card.id, ...(form.dataset.inPlace || "").split(/\s+/).filter(Boolean)];
    const body = new FormData(form, submitter);
    let response;
    try {
      response = await fetch(form.action, { method: "POST", body, headers: { "X-In-Place": "1" } });
    } catch {
      plainly(form, submitter); // offline: the browser's own page says so
      return;
    }
    if (!response.ok && response.status !== 400) {
      plainly(form, submitter); // refused (403, 404) or failed: its page, as without script
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    ids.forEach((id) => {
      const current = document.getElementById(id);
      const fresh = page.getElementById(id);
      if (current && fresh) replace(current, fresh);
    });
    const invalid = card.querySelector("[aria-invalid='true']");
    const row = form.dataset.focusAfter && document.getElementById(form.dataset.focusAfter);
    if (invalid) invalid.focus(); // the first field to correct, its error beside it
    else if (row) {
      // An alert acted on: its row, updated in place, keeps the focus (its next action, or the
      // row itself once closed), rather than the first button of the list.
      (row.querySelector("button") || row).focus({ preventScroll: true });
    } else if (submitter && document.activeElement === document.body) {
      const again = card.querySelector("textarea, input:not([type=hidden]), select, button");
      if (again) again.focus({ preventScroll: true });
    }
  };

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-in-place]");
    if (!form || form.dataset.plain || !window.fetch || !window.DOMParser) return;
    event.preventDefault();
    submit(form, event.submitter);
  });
})();
