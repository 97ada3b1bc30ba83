// The header's bell: the unread count, fetched after the page has loaded (so pages keep their
// query counts) and every minute while the tab is visible. Without script the bell is a link.
(function () {
  "use strict";
  var bell = document.querySelector("[data-bell]");
  if (!bell || !window.fetch) return;
  var count = bell.querySelector("[data-bell-count]");
  function refresh() {
    if (document.hidden) return;
    fetch(bell.getAttribute("data-bell"), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        var unread = data.unread || 0;
        count.textContent = unread > 99 ? "99+" : String(unread);
        count.hidden = unread === 0;
        bell.setAttribute("aria-label", unread ? "Notifications, " + unread + " unread" : "Notifications, none unread");
      })
      .catch(function () { /* the link still works */ });
  }
  refresh();
  setInterval(refresh, 60000);
})();
