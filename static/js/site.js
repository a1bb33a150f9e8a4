// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Pre-select the browser's time zone on forms that ask for one and have none chosen yet.
  for (const select of document.querySelectorAll("select[data-default-browser-tz]")) {
    if (select.dataset.defaultBrowserTz !== "true") continue;
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && [...select.options].some((o) => o.value === zone)) select.value = zone;
  }
});
