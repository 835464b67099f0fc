// A check of the files chosen in the page's uploader, in the browser, before Mesop sends them.
//
// Why: Mesop's uploader sends every chosen file inside one /__ui__ request, so a 40 MB photo was
// uploaded whole only to be refused by the server (its request cap, or the per-file limit), after
// a long wait and without its name. This element listens for the file input's "change" event in
// the capture phase, before Mesop's own listener on the input, and takes out of the selection
// each file over the per-file limit and each file that would take the batch past what one request
// may carry. The rest goes on to Mesop as usual; the files taken out are named here, in a line of
// its own. It sends nothing and keeps nothing in Mesop state. The server still checks everything:
// this only spares honest visitors the wait.

import {listed} from "./sizes.js";

function megabytes(bytes) {
  // As DevTools prints sizes (1 MB = 1,000,000 B), like the rest of the app.
  const value = bytes / 1e6;
  return `${value < 100 ? value.toFixed(1) : Math.round(value)} MB`;
}

class UploadGuard extends HTMLElement {
  constructor() {
    super();
    this.onChange = this.onChange.bind(this);
  }

  connectedCallback() {
    this.setAttribute("role", "status");
    this.style.display = "block";
    this.style.color = "#b3261e";
    document.addEventListener("change", this.onChange, true);
  }

  disconnectedCallback() {
    document.removeEventListener("change", this.onChange, true);
  }

  onChange(event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.files) return;
    const perFile = Number(this.maxFileBytes) || Infinity;
    const perBatch = Number(this.maxBatchBytes) || Infinity;
    const kept = [];
    const tooLarge = [];
    const overBatch = [];
    let total = 0;
    for (const file of input.files) {
      if (file.size > perFile) {
        tooLarge.push(`${file.name} (${megabytes(file.size)})`);
      } else if (total + file.size > perBatch) {
        overBatch.push(file.name);
      } else {
        total += file.size;
        kept.push(file);
      }
    }
    const lines = [];
    if (tooLarge.length) {
      lines.push(`Not sent: ${listed(tooLarge)}: the limit is ${megabytes(perFile)} per file.`);
    }
    if (overBatch.length) {
      lines.push(
        `Not sent: ${listed(overBatch)}: one upload carries ${megabytes(perBatch)} at most. ` +
          "Upload these in another batch.",
      );
    }
    this.textContent = lines.join(" ");
    if (!lines.length) return;
    if (kept.length) {
      const chosen = new DataTransfer();
      for (const file of kept) chosen.items.add(file);
      input.files = chosen.files; // Mesop's listener, next, reads only these
    } else {
      event.stopImmediatePropagation(); // nothing left to send: Mesop never hears of it
      input.value = "";
    }
  }
}

customElements.define("upload-guard", UploadGuard);
