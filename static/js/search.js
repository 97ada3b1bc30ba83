// The header's search box: suggestions while typing, chosen with the arrow keys and Enter
// (the ARIA combobox pattern). Without script the box is a plain GET form to the results page.
(() => {
  "use strict";
  const form = document.querySelector("form.search[data-suggest]");
  if (!form) return;
  const input = form.querySelector("input[name=q]");
  const list = form.querySelector("[role=listbox]");
  const status = form.querySelector("[role=status]");
  let items = [];
  let active = -1;
  let timer = null;
  let latest = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const highlight = (index) => {
    items.forEach((item, i) => item.setAttribute("aria-selected", i === index ? "true" : "false"));
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };

  const render = (results) => {
    list.replaceChildren();
    items = [];
    let group = "";
    results.forEach((result, i) => {
      if (result.kind_label !== group) {
        group = result.kind_label;
        const heading = document.createElement("li");
        heading.className = "search-group";
        heading.setAttribute("role", "presentation");
        heading.textContent = group;
        list.append(heading);
      }
      const item = document.createElement("li");
      item.id = `site-search-option-${i}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.dataset.url = result.url;
      const title = document.createElement("span");
      title.className = "search-title";
      title.textContent = result.title;
      const detail = document.createElement("span");
      detail.className = "search-detail";
      detail.textContent = result.detail || "";
      item.append(title, detail);
      item.addEventListener("mousedown", (event) => {
        event.preventDefault(); // keep the focus in the box until the page changes
        window.location.assign(result.url);
      });
      list.append(item);
      items.push(item);
    });
    const shown = results.length > 0;
    list.hidden = !shown;
    input.setAttribute("aria-expanded", shown ? "true" : "false");
    status.textContent = shown ? `${results.length} suggestions` : "No matches";
    active = -1;
  };

  const suggest = async () => {
    const text = input.value.trim();
    if (text.length < 2) {
      close();
      return;
    }
    const request = ++latest;
    try {
      const url = `${form.dataset.suggest}?q=${encodeURIComponent(text)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok || request !== latest) return;
      const data = await response.json();
      if (request === latest) render(data.results);
    } catch {
      close(); // offline or server down: the form still submits to the results page
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" && items.length) {
      event.preventDefault();
      if (list.hidden) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      highlight((active + 1) % items.length);
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      window.location.assign(items[active].dataset.url);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  document.addEventListener("keydown", (event) => {
    // "/" focuses the search box from anywhere except a field being typed in.
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing) {
      event.preventDefault();
      input.focus();
    }
  });
})();
