// The outbox page (/field/outbox): what waits on this phone, listed from its own storage, each to open (to
// correct a refused one), to discard, or to send now.
(function () {
  "use strict";
  var list = document.getElementById("outbox-list");
  if (!list || !window.FieldOutbox) return;
  var W = window.FieldWords || {};

  function text(tag, content, className) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (className) node.className = className;
    return node;
  }

  function render() {
    window.FieldOutbox.pending().then(function (records) {
      list.textContent = "";
      if (!records.length) list.appendChild(text("p", W.nothing_waiting, "muted"));
      records.sort(function (a, b) { return (a.submitted_at || 0) - (b.submitted_at || 0); });
      records.forEach(function (record) {
        var card = document.createElement("article");
        card.className = "card outbox-item " + record.state;
        card.dataset.key = record.key;
        card.appendChild(text("h2", record.title || record.url));
        card.appendChild(text("p", (record.state === "refused" ? W.refused_state : W.waiting) + " · " +
                                   record.photos.length + " " + W.photos_count, "status-line"));
        if (record.state === "refused" && record.error) {
          var reasons = [record.error.message].concat(Object.keys(record.error.fields || {}).map(function (k) {
            return k + ": " + record.error.fields[k];
          }));
          card.appendChild(text("p", reasons.join(" · "), "error"));
        }
        var actions = document.createElement("p");
        actions.className = "actions";
        var open = text("a", W.open, "button");
        open.href = record.url;
        actions.appendChild(open);
        var discard = text("button", W.discard, "danger");
        discard.type = "button";
        discard.addEventListener("click", function () {
          if (!window.confirm(W.discard_confirm)) return;
          window.FieldStore.remove("records", record.key).then(function () {
            window.FieldOutbox.announce({discarded: record.key});
            render();
          });
        });
        actions.appendChild(discard);
        card.appendChild(actions);
        list.appendChild(card);
      });
    });
  }

  window.FieldOutbox.onChange(render);
  document.getElementById("outbox-send").addEventListener("click", function () {
    window.FieldOutbox.flush({force: true});
  });
  render();
})();
