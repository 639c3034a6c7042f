// The review queue's keyboard selection: keeps the selected row on screen as j/k move it.
// "nearest" scrolls only when the row left the window, and by as little as needed; the row's
// scroll-margin (app.css) keeps it clear of the fixed app bar.
export function reveal(container, selector) {
  const row = container?.querySelector(selector);
  if (row) {
    row.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
}

// The server counts up data-reveal on the list for each move and names the selected item in
// data-reveal-item. Watching the attribute ties the scroll to the DOM update that draws the
// selection: the observer runs once that update is applied, so the row it reveals is the one on
// screen as selected, and the last move's update always reveals the last row, however many renders
// a burst of keys produced. A selection that follows its item on a live reload does not scroll.
export function watchReveal(container) {
  if (!container || container.opsRevealWatch) {
    return;
  }
  const observer = new MutationObserver(() => {
    const item = container.getAttribute('data-reveal-item');
    if (item && /^[0-9]+$/.test(item)) {
      reveal(container, `[data-item="${item}"]`);
    }
  });
  observer.observe(container, { attributes: true, attributeFilter: ['data-reveal'] });
  container.opsRevealWatch = observer;
}
