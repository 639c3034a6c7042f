// Lists driven by the keyboard (the trace's span tree, the review queue) handle their keys on the
// server, which cannot decide per key whether the browser should act too. An element marked
// data-nav-keys="ArrowUp ArrowDown Home End" keeps those keys from also scrolling the page, only
// while it holds the focus itself: in a field inside it the keys keep moving the caret.
(function () {
  document.addEventListener('keydown', e => {
    const target = e.target;
    const keys = target instanceof Element ? target.getAttribute('data-nav-keys') : null;
    if (keys && !e.altKey && !e.ctrlKey && !e.metaKey && keys.split(' ').includes(e.key)) {
      e.preventDefault();
    }
  });
})();
