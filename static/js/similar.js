// Progressive enhancement: while a question's title is typed, show similar questions and
// knowledge items from the search API. Without JavaScript the form works the same.
(function () {
  var box = document.getElementById("similar");
  var input = document.getElementById("title");
  if (!box || !input || !window.fetch) return;
  var timer = null;
  var last = "";
  function render(items) {
    box.textContent = "";
    if (!items.length) return;
    var p = document.createElement("p");
    p.className = "hint";
    p.textContent = box.getAttribute("data-label");
    var ul = document.createElement("ul");
    items.slice(0, 5).forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = item.url;
      a.textContent = item.title;
      li.appendChild(a);
      ul.appendChild(li);
    });
    box.appendChild(p);
    box.appendChild(ul);
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 8 || q === last) return;
      last = q;
      fetch(box.getAttribute("data-api") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) { render(data.items || []); })
        .catch(function () {});
    }, 350);
  });
})();
