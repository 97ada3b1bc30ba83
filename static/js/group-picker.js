// The company-group picker of the accounts list and the portfolio (templates/includes/
// group_picker.html): suggestions of the groups one may see while typing, chosen with the mouse
// or the arrow keys and Enter (the ARIA combobox pattern), written to the hidden `group` field.
// Clearing the box clears the group. The groups are fetched, never all rendered: a book of
// 10,000 accounts has 2,000 of them.
(() => {
  "use strict";
  document.querySelectorAll("[data-group-picker]").forEach((picker) => {
    const value = picker.querySelector("[data-group-value]");
    const input = picker.querySelector("[data-group-name]");
    const list = picker.querySelector("[role=listbox]");
    const status = picker.querySelector("[data-group-status]");
    let chosenName = input.value;
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

    const choose = (group) => {
      value.value = String(group.id);
      input.value = group.name;
      chosenName = group.name;
      input.classList.add("is-set");
      status.textContent = `Company group ${group.name} chosen`;
      close();
    };

    const highlight = (index) => {
      items.forEach((item, i) => item.setAttribute("aria-selected", i === index ? "true" : "false"));
      active = index;
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({ block: "nearest" });
      }
    };

    const render = (groups) => {
      list.replaceChildren();
      items = groups.map((group, i) => {
        const item = document.createElement("li");
        item.id = `${input.id}-option-${i}`;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        const title = document.createElement("span");
        title.className = "search-title";
        title.textContent = group.name;
        const detail = document.createElement("span");
        detail.className = "search-detail";
        detail.textContent = group.external_id;
        item.append(title, detail);
        item.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the box
          choose(group);
        });
        item.group = group;
        list.append(item);
        return item;
      });
      const shown = items.length > 0;
      list.hidden = !shown;
      input.setAttribute("aria-expanded", shown ? "true" : "false");
      status.textContent = shown ? `${items.length} groups` : "No company group matches";
      active = -1;
    };

    const suggest = async () => {
      const text = input.value.trim();
      if (!text) {
        close();
        return;
      }
      const request = ++latest;
      try {
        const url = `${picker.dataset.suggest}?q=${encodeURIComponent(text)}`;
        const response = await fetch(url, { headers: { Accept: "application/json" } });
        if (!response.ok || request !== latest) return;
        const data = await response.json();
        if (request === latest) render(data.results);
      } catch {
        close();
      }
    };

    input.addEventListener("input", () => {
      if (!input.value.trim()) {
        value.value = ""; // an emptied box is "any group"
        chosenName = "";
        input.classList.remove("is-set");
      }
      clearTimeout(timer);
      timer = setTimeout(suggest, 150);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" && items.length) {
        event.preventDefault();
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        highlight((active + 1) % items.length);
      } else if (event.key === "ArrowUp" && items.length) {
        event.preventDefault();
        highlight(active <= 0 ? items.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
        event.preventDefault(); // choose, do not submit yet
        choose(items[active].group);
      } else if (event.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", () => {
      setTimeout(close, 100);
      // Typed but not chosen: show the group that still applies (or none), not text that
      // would look like a filter and do nothing.
      if (input.value !== chosenName) input.value = chosenName;
    });
  });
})();
