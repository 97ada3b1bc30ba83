// The suggestion box behind the header's search and the company-group picker (the ARIA
// combobox pattern): fetches suggestions while one types, lists them under the box, moves
// through them with the arrow keys and chooses with Enter or the mouse. Each user says what a
// suggestion looks like (`describe`) and what choosing it does (`choose`).
window.northstarCombobox = ({ input, list, status, url, minLength, describe, choose, counted }) => {
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
    let heading = "";
    results.forEach((result, i) => {
      const { group, title, detail } = describe(result);
      if (group && group !== heading) {
        heading = group;
        const header = document.createElement("li");
        header.className = "search-group";
        header.setAttribute("role", "presentation");
        header.textContent = group;
        list.append(header);
      }
      const item = document.createElement("li");
      item.id = `${input.id}-option-${i}`;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      const titleSpan = document.createElement("span");
      titleSpan.className = "search-title";
      titleSpan.textContent = title;
      const detailSpan = document.createElement("span");
      detailSpan.className = "search-detail";
      detailSpan.textContent = detail || "";
      item.append(titleSpan, detailSpan);
      item.addEventListener("mousedown", (event) => {
        event.preventDefault(); // keep the focus in the box
        choose(result);
      });
      item.result = result;
      list.append(item);
      items.push(item);
    });
    const shown = results.length > 0;
    list.hidden = !shown;
    input.setAttribute("aria-expanded", shown ? "true" : "false");
    status.textContent = shown ? `${results.length} ${counted}` : "No matches";
    active = -1;
  };

  const suggest = async () => {
    const text = input.value.trim();
    if (text.length < minLength) {
      close();
      return;
    }
    const request = ++latest;
    try {
      const response = await fetch(`${url}?q=${encodeURIComponent(text)}`, {
        headers: { Accept: "application/json" },
      });
      if (!response.ok || request !== latest) return;
      const data = await response.json();
      if (request === latest) render(data.results);
    } catch {
      close(); // offline or server down: the form still submits
    }
  };

  input.addEventListener("input", () => {
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
      event.preventDefault(); // choose the highlighted suggestion, do not submit
      choose(items[active].result);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  return { close };
};
