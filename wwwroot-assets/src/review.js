// The review queue's keyboard selection: keeps the selected row on screen as j/k move it.
// "nearest" scrolls only when the row left the window, and by as little as needed; the row's
// scroll-margin (app.css) keeps it clear of the fixed app bar.
export function reveal(container, selector) {
  const row = container?.querySelector(selector);
  if (row) {
    row.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }
}
