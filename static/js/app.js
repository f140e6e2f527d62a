// Behaviour every staff page shares, kept out of the markup so that the Content-Security-Policy can refuse
// inline scripts: a form with data-confirm asks before it is sent; a field with data-select-on-focus is
// selected whole when focused (an address to copy); a data-back link goes back a page when there is one.
(function () {
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-focus")) event.target.select();
  });
})();
