// Progressive enhancement: a "Kopieer tekst" button for criterion clauses. Without JavaScript the
// clause is plain selectable text and the button stays hidden.
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  var target = document.getElementById(button.getAttribute("data-copy-target"));
  if (!target || !navigator.clipboard) { return; }
  button.hidden = false;
  var status = document.getElementById(button.getAttribute("data-copy-status"));
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(target.innerText).then(function () {
      if (status) { status.textContent = button.getAttribute("data-copied"); }
    });
  });
});
