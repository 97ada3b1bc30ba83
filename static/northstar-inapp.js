/*! Northstar in-app survey widget (docs/inapp.md). No dependencies; works under a strict
 * Content-Security-Policy (no eval, no inline script, handler or style: its styles are a
 * constructed stylesheet inside a Shadow DOM, so neither page's styles reach the other), and
 * never throws into the host page: when Northstar cannot be reached, nothing is shown.
 *
 *   <script src="https://NORTHSTAR/static/northstar-inapp.js" data-key="PUBLIC_KEY" defer></script>
 *   northstar.identify({userId, email, accountId, userHash?, signedUpAt?})
 */
(function () {
  "use strict";
  var w = window;
  var d = document;
  var script = d.currentScript;
  var key = "";
  var api = "";
  var host = null;
  var TIMEOUT = 8000;
  var CSS =
    ":host{all:initial}" +
    ".card{position:fixed;right:16px;bottom:16px;z-index:2147483000;box-sizing:border-box;" +
    "width:min(420px,calc(100vw - 32px));padding:16px 18px;border-radius:10px;background:#fff;" +
    "color:#1d2433;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;" +
    "box-shadow:0 6px 28px rgba(29,36,51,.25);border:1px solid #d5dae3}" +
    "fieldset{border:0;margin:0;padding:0;min-width:0}" +
    "legend{font-weight:600;font-size:15px;padding:0 28px 10px 0}" +
    ".scale{display:flex;flex-wrap:wrap;gap:4px}" +
    ".scale label{flex:1 0 28px;position:relative}" +
    ".scale input{position:absolute;opacity:0;width:1px;height:1px;margin:0}" +
    ".scale span{display:block;text-align:center;padding:7px 0;border:1px solid #8a94a6;" +
    "border-radius:6px;cursor:pointer;background:#fff;color:#1d2433}" +
    ".scale input:checked+span{background:#1d4ed8;border-color:#1d4ed8;color:#fff}" +
    ".scale input:focus-visible+span{outline:3px solid #f59e0b;outline-offset:1px}" +
    ".ends{display:flex;justify-content:space-between;font-size:12px;color:#4b5563;margin:4px 0 10px}" +
    "textarea{box-sizing:border-box;width:100%;min-height:56px;margin:4px 0 10px;padding:6px;" +
    "font:inherit;border:1px solid #8a94a6;border-radius:6px;color:#1d2433;background:#fff}" +
    ".follow{font-size:13px}" +
    "button{font:inherit;cursor:pointer}" +
    ".send{background:#1d4ed8;color:#fff;border:0;border-radius:6px;padding:7px 16px}" +
    ".send:disabled{background:#6b7280;cursor:not-allowed}" +
    ".close{position:absolute;top:8px;right:8px;width:32px;height:32px;border:0;" +
    "background:transparent;color:#4b5563;font-size:22px;line-height:1;border-radius:6px}" +
    "button:focus-visible,textarea:focus-visible{outline:3px solid #f59e0b;outline-offset:1px}" +
    ".status{min-height:1.2em;margin:8px 0 0;font-size:13px}" +
    ".error{color:#b91c1c}";

  function post(path, body) {
    // Resolves to {status, body}, or null when Northstar cannot be reached: never rejects.
    try {
      var controller = w.AbortController ? new AbortController() : null;
      var timer = controller && setTimeout(function () { controller.abort(); }, TIMEOUT);
      return w
        .fetch(api + "/inapp/v1/" + encodeURIComponent(key) + "/" + path, {
          method: "POST",
          mode: "cors",
          credentials: "omit",
          headers: { "Content-Type": "text/plain" },
          body: JSON.stringify(body),
          signal: controller ? controller.signal : undefined,
        })
        .then(function (response) {
          return response.json().then(
            function (json) { return { status: response.status, body: json || {} }; },
            function () { return { status: response.status, body: {} }; }
          );
        })
        .catch(function () { return null; })
        .then(function (result) { if (timer) clearTimeout(timer); return result; });
    } catch (e) {
      return Promise.resolve(null);
    }
  }

  function el(name, attrs, text) {
    var node = d.createElement(name);
    for (var a in attrs) if (Object.prototype.hasOwnProperty.call(attrs, a)) node.setAttribute(a, attrs[a]);
    if (text != null) node.textContent = text;
    return node;
  }

  function style(root) {
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      root.appendChild(el("style", {}, CSS)); // older browsers; a strict CSP may drop it
    }
  }

  function remove() {
    if (host && host.parentNode) host.parentNode.removeChild(host);
    host = null;
  }

  function show(q) {
    remove();
    host = el("div", { "data-northstar-inapp": "" });
    var root = host.attachShadow({ mode: "open" });
    style(root);
    var card = el("aside", { class: "card", "aria-label": "Quick survey", lang: d.documentElement.lang || "en" });
    var form = el("form", { novalidate: "" });
    var set = el("fieldset");
    set.appendChild(el("legend", { id: "q" }, q.question));
    var scale = el("div", { class: "scale" });
    for (var s = q.low; s <= q.high; s++) {
      var label = el("label");
      var radio = el("input", { type: "radio", name: "score", value: String(s) });
      if (s === q.low) radio.setAttribute("aria-describedby", "lo");
      if (s === q.high) radio.setAttribute("aria-describedby", "hi");
      label.appendChild(radio);
      label.appendChild(el("span", {}, String(s)));
      scale.appendChild(label);
    }
    set.appendChild(scale);
    var ends = el("div", { class: "ends" });
    ends.appendChild(el("span", { id: "lo" }, q.low + ": " + q.lowLabel));
    ends.appendChild(el("span", { id: "hi" }, q.high + ": " + q.highLabel));
    set.appendChild(ends);
    form.appendChild(set);
    form.appendChild(el("label", { for: "c", class: "follow" }, q.followUp));
    var comment = el("textarea", { id: "c", name: "comment", maxlength: "2000" });
    form.appendChild(comment);
    var send = el("button", { type: "submit", class: "send", disabled: "" }, "Send");
    form.appendChild(send);
    var status = el("p", { class: "status", role: "status", "aria-live": "polite" });
    form.appendChild(status);
    var close = el("button", { type: "button", class: "close", "aria-label": "Dismiss the survey" }, "\u00d7");
    card.appendChild(close);
    card.appendChild(form);
    root.appendChild(card);

    function chosen() {
      var c = form.querySelector("input[name=score]:checked");
      return c ? c.value : "";
    }
    function dismiss() {
      post("dismiss", { token: q.token });
      remove();
    }
    form.addEventListener("change", function () { send.disabled = !chosen(); });
    close.addEventListener("click", dismiss);
    card.addEventListener("keydown", function (event) {
      if (event.key === "Escape") dismiss();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!chosen()) return;
      send.disabled = true;
      status.className = "status";
      status.textContent = "Sending\u2026";
      post("answer", { token: q.token, score: chosen(), comment: comment.value }).then(function (r) {
        if (r && r.status === 200) {
          form.replaceChildren(el("p", { class: "status", role: "status", "aria-live": "polite" }, "Thank you for your answer."));
          setTimeout(remove, 4000);
          return;
        }
        var errors = r && r.body && r.body.errors;
        var text = errors ? [].concat(errors.score || [], errors.comment || []).join(" ") : "";
        status.className = "status error";
        status.textContent =
          text || (r && r.body && r.body.error) || "Your answer could not be sent; please try again later.";
        send.disabled = false;
      });
    });
    (d.body || d.documentElement).appendChild(host);
  }

  function identify(user) {
    try {
      if (!key || !api || !user || !user.email || !user.accountId) return;
      post("ask", {
        userId: user.userId == null ? "" : String(user.userId),
        email: String(user.email),
        accountId: String(user.accountId),
        userHash: user.userHash ? String(user.userHash) : "",
        signedUpAt: user.signedUpAt ? String(user.signedUpAt) : "",
      }).then(function (r) {
        try {
          if (r && r.status === 200 && r.body.question) show(r.body.question);
        } catch (e) { /* never into the host page */ }
      });
    } catch (e) { /* never into the host page */ }
  }

  try {
    key = (script && script.getAttribute("data-key")) || "";
    api = ((script && script.getAttribute("data-api")) || (script ? new URL(script.src).origin : "")).replace(/\/+$/, "");
  } catch (e) { /* no key: identify() does nothing */ }

  // Calls queued before the script loaded: window.northstar = [["identify", {...}], ...].
  var queued = Array.isArray(w.northstar) ? w.northstar : [];
  w.northstar = {
    identify: identify,
    close: function () { try { remove(); } catch (e) { /* ignore */ } },
  };
  for (var i = 0; i < queued.length; i++) {
    if (queued[i] && queued[i][0] === "identify") identify(queued[i][1]);
  }
})();
