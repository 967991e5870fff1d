/* The search page: Pagefind's UI over the site's static index, started with ?q= from the
   header search box. The only script the theme ships. */
(function () {
  "use strict";

  /* Pagefind's input carries only a title; give it a real, visible label. */
  function labelInput(box) {
    var input = box.querySelector("input");
    if (!input || input.id) {
      return;
    }
    input.id = "search-input";
    var label = document.createElement("label");
    label.htmlFor = input.id;
    label.className = "search-ui-label";
    label.textContent = box.getAttribute("data-label");
    box.insertBefore(label, box.firstChild);
  }

  function unavailable(box) {
    var note = document.createElement("p");
    note.className = "notice";
    note.textContent = box.getAttribute("data-unavailable");
    box.appendChild(note);
  }

  /* The index comes in bundles (the newest articles, then one per year): the first is
     searched, the others are merged into it, so one query covers them all. */
  function open(box, names) {
    var bundle = box.getAttribute("data-bundle");
    var query = new URLSearchParams(window.location.search).get("q") || "";
    var ui = new window.PagefindUI({
      element: "#search",
      baseUrl: box.getAttribute("data-base-url"),
      bundlePath: bundle + names[0] + "/",
      mergeIndex: names.slice(1).map(function (name) {
        return {bundlePath: bundle + name + "/"};
      }),
      showImages: false,
      showSubResults: false,
      excerptLength: 30,
      debounceTimeoutMs: 100,
      autofocus: !query,
      processTerm: function (term) {
        var url = new URL(window.location.href);
        if (term) {
          url.searchParams.set("q", term);
        } else {
          url.searchParams.delete("q");
        }
        window.history.replaceState(null, "", url);
        return term;
      }
    });
    labelInput(box);
    if (query) {
      ui.triggerSearch(query);
    }
  }

  function start() {
    var box = document.getElementById("search");
    if (!box) {
      return;
    }
    if (typeof window.PagefindUI !== "function" || !window.fetch) {
      unavailable(box);
      return;
    }
    window.fetch(box.getAttribute("data-bundle") + "bundles.json")
      .then(function (response) {
        return response.ok ? response.json() : [];
      })
      .then(function (names) {
        if (names.length) {
          open(box, names);
        } else {
          unavailable(box);
        }
      }, function () {
        unavailable(box);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
