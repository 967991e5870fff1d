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

  function start() {
    var box = document.getElementById("search");
    if (!box) {
      return;
    }
    if (typeof window.PagefindUI !== "function") {
      var note = document.createElement("p");
      note.className = "notice";
      note.textContent = box.getAttribute("data-unavailable");
      box.appendChild(note);
      return;
    }
    var query = new URLSearchParams(window.location.search).get("q") || "";
    var ui = new window.PagefindUI({
      element: "#search",
      baseUrl: box.getAttribute("data-base-url"),
      bundlePath: box.getAttribute("data-bundle"),
      showImages: false,
      showSubResults: false,
      excerptLength: 30,
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
