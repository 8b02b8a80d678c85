// Progressive enhancement: type-ahead suggestions for the search boxes. Without JavaScript the
// search works the same; with it, a native <datalist> offers titles, organisations and themes.
(function () {
  var list = document.getElementById("search-suggestions");
  if (!list || !window.fetch) { return; }
  var timer = null;
  var last = "";
  function fill(items) {
    list.textContent = "";
    items.forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.label;
      list.appendChild(option);
    });
  }
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    input.setAttribute("list", "search-suggestions");
    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (text === last || text.length < 2) { return; }
      last = text;
      clearTimeout(timer);
      timer = setTimeout(function () {
        fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(text), { headers: { "Accept": "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
          .then(function (data) { fill(data.suggestions || []); })
          .catch(function () { fill([]); });
      }, 150);
    });
  });
})();
