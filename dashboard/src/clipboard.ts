/** Copying a command: the async Clipboard API where the page may use it, else a selection copy. */

async function selectionCopy(text: string): Promise<boolean> {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  try {
    // Deprecated but still the only fallback where navigator.clipboard is missing (plain http on a LAN address).
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

/** Copies `text`; false when the browser refused both ways. */
export async function copyText(text: string): Promise<boolean> {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission denied or the document lost focus: try the selection fallback.
    }
  }
  return selectionCopy(text);
}
