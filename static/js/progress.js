/* Pages of long work (imports, reports, payroll): while a region marked data-refresh is on the
   page, fetch the page again every few seconds and refresh that region's content, and nothing
   else, so a form being filled in stays as it is. The region is aria-live: screen readers hear
   the progress. Without scripts the region links to the page to look again. */
(function () {
  "use strict";
  function poll(region) {
    var seconds = Number(region.getAttribute("data-refresh")) || 2;
    window.setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(region.id);
          if (!fresh) return;
          region.innerHTML = fresh.innerHTML;
          if (fresh.hasAttribute("data-refresh")) {
            poll(region);
          } else {
            region.removeAttribute("data-refresh");
          }
        })
        .catch(function () { window.setTimeout(function () { poll(region); }, 5000); });
    }, seconds * 1000);
  }
  document.querySelectorAll("[data-refresh][id]").forEach(poll);
})();
