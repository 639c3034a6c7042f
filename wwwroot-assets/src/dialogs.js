// Keyboard help for confirmation dialogs that ask for a written reason (kill switch, restore).
// MudBlazor's inline dialog renders its content a moment after it is asked to open and may
// render it again right after, so AutoFocus on the field loses: the field is looked up by id and
// focused from here, and Ctrl+Enter is handled for whatever element carries the id now.

const confirmFor = new Map();

document.addEventListener('keydown', e => {
  const selector = e.target && e.target.id ? confirmFor.get(e.target.id) : undefined;
  if (selector && e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    // The field binds on change: send what was typed first, then press the button, in that order.
    e.target.dispatchEvent(new Event('change', { bubbles: true }));
    (e.target.closest('.mud-dialog') || document).querySelector(selector)?.click();
  }
}, true);

function isControl(element) {
  return element && ['INPUT', 'TEXTAREA', 'BUTTON', 'SELECT', 'A'].includes(element.tagName);
}

// For the first moments after opening, gives the field the focus unless the person has already
// moved to another control of the dialog (Cancel, say).
export function focusReason(inputId, confirmSelector) {
  confirmFor.set(inputId, confirmSelector);
  const started = performance.now();
  const attempt = () => {
    const field = document.getElementById(inputId);
    if (field && field.offsetParent !== null) {
      const active = document.activeElement;
      const dialog = field.closest('.mud-dialog');
      const personMoved = active !== field && dialog && dialog.contains(active) && isControl(active);
      if (active !== field && !personMoved) {
        field.focus();
      }
    }
    if (performance.now() - started < 1500) {
      requestAnimationFrame(attempt);
    }
  };
  attempt();
}
