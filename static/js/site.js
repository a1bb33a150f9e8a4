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
