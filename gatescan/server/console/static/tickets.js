// GateScan console, tickets: upload the attendee CSV with a progress bar, then show the
// server's page in place. Without this script the form posts as usual (same page back).
"use strict";
(function () {
  const form = document.getElementById("import-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  const words = JSON.parse(document.getElementById("tickets-words").textContent);
  const bar = document.getElementById("import-progress");
  const status = document.getElementById("import-status");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    bar.hidden = false;
    bar.value = 0;
    status.textContent = words["Uploading…"];
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.upload.addEventListener("load", () => {
      bar.removeAttribute("value"); // indeterminate while the server issues the tickets
      status.textContent = words["Issuing tickets…"];
    });
    xhr.addEventListener("load", () => {
      const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      const main = page.querySelector("main");
      if (!main) { status.textContent = words["The upload failed: try again."]; return; }
      document.querySelector("main").replaceWith(main);
      document.title = page.title;
      main.querySelectorAll("script[src]").forEach((old) => {  // parsed scripts do not run
        const s = document.createElement("script");
        s.src = old.src;
        old.replaceWith(s);
      });
      (main.querySelector("#import-result, .error") || main).scrollIntoView();
    });
    xhr.addEventListener("error", () => { status.textContent = words["The upload failed: try again."]; });
    xhr.send(new FormData(form));
  });
})();
