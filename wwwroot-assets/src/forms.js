// Takes a person to what is wrong after a refused save: the first invalid field of the form, in
// document order, scrolled to the middle of the screen (the fixed app bar would hide it at the top)
// and focused so they can type at once.
const invalid = '[aria-invalid="true"], .mud-input-error input, .mud-input-error textarea, .mud-input-error [tabindex], .mud-input-control.mud-input-error';

export function focusFirstInvalid(root) {
  if (!root) {
    return null;
  }
  const field = root.querySelector(invalid);
  if (!field) {
    return null;
  }
  const target = field.matches('input, textarea, select, [tabindex]') ? field : field.querySelector('input, textarea, [tabindex]') || field;
  target.scrollIntoView({ block: 'center' });
  target.focus({ preventScroll: true });
  return target.id || null;
}
