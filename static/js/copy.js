// Copy buttons beside read-only addresses (templates/tracker/partials/_copy_field.html).
// Progressive enhancement: without this file the button stays hidden and the box is selectable.
function enableCopyButtons(root) {
  for (const button of root.querySelectorAll("button[data-copy-target]")) {
    button.hidden = false;
  }
}

async function copyText(field) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(field.value);
    return true;
  }
  // Plain http on a LAN address has no Clipboard API: select, and try the old command.
  field.focus();
  field.select();
  return document.execCommand && document.execCommand("copy");
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy-target]");
  if (!button) return;
  const id = button.dataset.copyTarget;
  const field = document.getElementById(id);
  const status = document.querySelector(`[data-copy-status="${id}"]`);
  let copied = false;
  try {
    copied = await copyText(field);
  } catch {
    copied = false;
  }
  if (!copied) {
    field.focus();
    field.select();
  }
  if (status) {
    status.textContent = copied ? "Copied." : "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
  }
});

// A click in the box selects the whole address, ready to copy by hand.
document.addEventListener("focusin", (event) => {
  if (event.target.matches?.(".copy-field input[readonly]")) event.target.select();
});

document.addEventListener("DOMContentLoaded", () => enableCopyButtons(document));
// The calendar panel is swapped in by htmx after "Make a new address".
document.addEventListener("htmx:load", (event) => enableCopyButtons(event.target));
