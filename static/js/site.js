// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Pre-select the browser's time zone on forms that ask for one and have none chosen yet.
  for (const select of document.querySelectorAll("select[data-default-browser-tz]")) {
    if (select.dataset.defaultBrowserTz !== "true") continue;
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && [...select.options].some((o) => o.value === zone)) select.value = zone;
  }
});

// A running count under text areas that have a limit, e.g. "120 of 10,000 characters".
function countCharacters(root) {
  for (const field of root.querySelectorAll("textarea[maxlength][data-count-characters]")) {
    if (field.dataset.countCharacters === "on") continue;
    field.dataset.countCharacters = "on";
    const limit = field.maxLength;
    const count = document.createElement("span");
    count.className = "char-count";
    const show = () => {
      const used = field.value.length;
      count.textContent = `${used.toLocaleString("en")} of ${limit.toLocaleString("en")} characters`;
      count.classList.toggle("is-over", used > limit);
    };
    field.after(count);
    field.addEventListener("input", show);
    show();
  }
}
document.addEventListener("DOMContentLoaded", () => countCharacters(document));
// htmx swaps the note form in after a save: count in the new one too.
document.addEventListener("htmx:load", (event) => countCharacters(event.target));

// ---- Roadmap pages: the status control and the keys (issue 15) ----------------------------
// Without this the forms post and come back, and the skip links are plain anchors.
document.documentElement.classList.add("js");

const ROW = ".st-row";
const UNFINISHED = ".st.is-not_started, .st.is-in_progress";

// Where focus goes in a row: its pressed status button, else (signed out) its title link.
function rowFocusTarget(row) {
  return row.querySelector('.st [aria-pressed="true"]') || row.querySelector(".item-title");
}

function focusRow(row) {
  const target = row && rowFocusTarget(row);
  if (!target) return false;
  target.focus();
  target.scrollIntoView({ block: "nearest" });
  return true;
}

// The first unfinished row after `from` (or from the top), wrapping round.
function nextUnfinished(from) {
  const rows = [...document.querySelectorAll(ROW)];
  const start = rows.indexOf(from) + 1;
  return [...rows.slice(start), ...rows.slice(0, start)].find((row) => row.querySelector(UNFINISHED));
}

function isTyping(target) {
  return target instanceof Element && target.closest("input, textarea, select, [contenteditable]") !== null;
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
  if (event.key === "/") {
    const search = document.getElementById("site-search");
    if (search) {
      event.preventDefault();
      search.focus();
    }
    return;
  }
  if (!["j", "k", "n"].includes(event.key)) return;
  const rows = [...document.querySelectorAll(ROW)];
  if (!rows.length) return;
  const current = document.activeElement ? document.activeElement.closest(ROW) : null;
  const at = rows.indexOf(current);
  let row;
  if (event.key === "n") row = nextUnfinished(current);
  else if (at < 0) row = event.key === "j" ? rows.find((r) => r.getBoundingClientRect().bottom > 0) : null;
  else row = rows[event.key === "j" ? at + 1 : at - 1];
  if (focusRow(row)) event.preventDefault();
});

// "Skip to next unfinished item": with JavaScript, straight onto that item's control, even
// after changes made on the page since it was drawn.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element && event.target.closest('a[href="#next-unfinished"]');
  if (link && focusRow(nextUnfinished(null))) event.preventDefault();
});

// Skip asks for the reason in place: the first press shows the reason field (from the page's
// one <template> when the form has none), the second press, or Enter in the field, skips.
function skipButton(form) {
  return form.querySelector('button[value="skipped"]');
}

function askWhy(form) {
  let field = form.querySelector(".st-why");
  const template = document.getElementById("skip-reason-field");
  if (!field && template) {
    form.append(template.content.cloneNode(true));
    field = form.querySelector(".st-why");
  }
  if (!field) return false;
  form.classList.add("is-asking");
  field.querySelector("textarea").focus();
  return true;
}

document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest('.st button[value="skipped"]');
  if (!button || button.form.classList.contains("is-asking")) return;
  if (askWhy(button.form)) event.preventDefault();
});

document.addEventListener("keydown", (event) => {
  const field = event.target instanceof Element && event.target.closest(".st-why textarea");
  if (!field) return;
  const form = field.form;
  if (event.key === "Enter" && !event.shiftKey) {
    // A click, not requestSubmit(): htmx learns which button posted from its click.
    event.preventDefault();
    skipButton(form).click();
  } else if (event.key === "Escape") {
    form.classList.remove("is-asking");
    skipButton(form).focus();
  }
});

// After htmx swaps a row (or an item page's control), focus goes back to the button that was
// pressed, in the new markup.
let pressed = null;
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest(".st button[name=status]");
  if (!button) return;
  const row = button.closest(ROW);
  pressed = { id: row ? row.id : button.form.id, value: button.value };
});
document.addEventListener("htmx:afterSettle", () => {
  if (!pressed) return;
  const place = document.getElementById(pressed.id);
  const button = place && place.querySelector(`.st button[value="${pressed.value}"]`);
  pressed = null;
  if (button) button.focus();
});
