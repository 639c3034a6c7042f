// Takes a person to what is wrong after a refused save: the first invalid field of the form, in
// document order, scrolled to the middle of the screen (the fixed app bar would hide it at the top)
// and focused so they can type at once.
const invalid = '[aria-invalid="true"], .mud-input-error input, .mud-input-error textarea, .mud-input-error [tabindex], .mud-input-control.mud-input-error';

// How long the focus is held on the field against renders that follow the refusal.
const holdMs = 1000;

function firstInvalid(root) {
  const field = root?.querySelector(invalid);
  if (!field) {
    return null;
  }
  return field.matches('input, textarea, select, [tabindex]') ? field : field.querySelector('input, textarea, [tabindex]') || field;
}

// root: the form's wrapper; key: its data-problem-focus value, to find the wrapper again should a
// render replace it (a MudDialog can draw its content anew right after the refusal).
export function focusFirstInvalid(root, key) {
  const target = firstInvalid(root);
  if (!target) {
    return null;
  }
  target.scrollIntoView({ block: 'center' });
  target.focus({ preventScroll: true });
  // A render just after this one can take the focus away without the person doing anything: the
  // field or its dialog drawn again, or the Save button that held the focus disabled and enabled.
  // For a moment, a focus that fell back to the page goes to the first invalid field again; a
  // focus the person moved to another control stays where they put it.
  const started = performance.now();
  const hold = () => {
    const active = document.activeElement;
    if (!active || active === document.body) {
      const current = root.isConnected ? root : (key ? document.querySelector(`[data-problem-focus="${key}"]`) : null);
      firstInvalid(current)?.focus({ preventScroll: true });
    }
    if (performance.now() - started < holdMs) {
      requestAnimationFrame(hold);
    }
  };
  requestAnimationFrame(hold);
  return target.id || null;
}
