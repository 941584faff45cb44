// Fill in the address of this book in the reader's install line
// (book/_ext/reader_install.py writes the placeholder; the book has no fixed URL).
// 1. The "Run this chapter yourself" box shows the absolute URL of the wheel.
// 2. The .ipynb download button saves the notebook with that URL in its first cell.
(function () {
  "use strict";
  const PLACEHOLDER = "https://<address of this book>/";

  function siteRoot() {
    const root = document.documentElement.dataset.content_root || "./";
    return new URL(root, window.location.href).href;
  }

  function fillBox(root) {
    document.querySelectorAll(".reader-install-line").forEach(function (el) {
      el.textContent = el.textContent.split(PLACEHOLDER).join(root);
    });
  }

  function saveAs(text, name) {
    const blob = new Blob([text], { type: "application/x-ipynb+json" });
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  function rewriteDownloads(root) {
    document.querySelectorAll('a[href$=".ipynb"]').forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        const name = link.getAttribute("href").split("/").pop();
        fetch(link.href)
          .then(function (response) {
            if (!response.ok) throw new Error(response.status);
            return response.text();
          })
          .then(function (text) { saveAs(text.split(PLACEHOLDER).join(root), name); })
          .catch(function () { window.location.href = link.href; });
      });
    });
  }

  function main() {
    const root = siteRoot();
    fillBox(root);
    rewriteDownloads(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", main);
  } else {
    main();
  }
})();
