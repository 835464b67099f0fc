// Uploads from the browser straight to the bucket: the server signs, the browser talks to storage.
//
// Why: Mesop's uploader sends every chosen file inside a /__ui__ request (base64 inside base64), so
// a phone photo costs the server a request of several megabytes, and Cloud Run refuses any over
// 32 MiB. This control keeps the uploader's name and role ("Upload images", a file input that
// takes several images) but sends only names and sizes through Mesop:
//   1. checks each chosen file's size and type here, names the ones it keeps back, and asks the
//      server for upload URLs with a Mesop web event (requestEvent);
//   2. the server's answer arrives as the `reply` property: one signed PUT URL per file it
//      accepts, with the headers the URL was signed with;
//   3. PUTs each file to its URL, a few at a time, with progress, giving up on one that moves no
//      byte for `stallSeconds`; then tells the server what became of each (arrivedEvent), and is
//      free again when the server's reply says it is done.
// The bytes it sends to storage are reported to the payload meter (app/meter/meter.js) with a
// window event, "payload-meter:storage-up": Resource Timing does not see request bodies.
//
// Two plain custom elements (no framework, no CDN), meeting in this module like the thumbnails:
// <direct-upload>, the button and its hidden file input (in a shadow root, so that the page's
// other listeners for file inputs, meant for Mesop's uploader, never see its files), and
// <direct-upload-status>, the lines about the current batch, below the buttons.

import {human, listed} from "./sizes.js";

const views = new Set(); // <direct-upload-status> elements
let current = null; // the batch being sent, or the last one

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function redraw() {
  for (const view of views) view.render();
}

class DirectUpload extends HTMLElement {
  constructor() {
    super();
    const root = this.attachShadow({mode: "open"});
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.textContent = "Upload images";
    Object.assign(this.button.style, {
      // As Mesop's stroked buttons look beside it.
      fontFamily: "inherit",
      fontSize: "14px",
      fontWeight: "500",
      letterSpacing: "0.0179em",
      background: "transparent",
      borderRadius: "20px",
      height: "40px",
      padding: "0 24px",
    });
    this.input = document.createElement("input");
    this.input.type = "file";
    this.input.multiple = true;
    this.input.accept = "image/*";
    this.input.hidden = true;
    this.button.addEventListener("click", () => this.input.click());
    this.input.addEventListener("change", () => {
      const files = [...(this.input.files || [])];
      this.input.value = ""; // the same file chosen again is a new choice
      if (files.length) this.choose(files);
    });
    root.append(this.button, this.input);
    this._disabled = false;
  }

  connectedCallback() {
    this.style.display = "inline-block";
    this.update();
  }

  set disabled(value) {
    this._disabled = Boolean(value);
    this.update();
  }

  get disabled() {
    return this._disabled;
  }

  get busy() {
    return Boolean(current && current.owner === this && current.state !== "done");
  }

  update() {
    const busy = this.busy;
    this.button.disabled = this._disabled || busy;
    const off = this.button.disabled;
    this.button.style.color = off ? "rgba(31, 31, 31, 0.38)" : "#0b57d0";
    this.button.style.border = `1px solid ${off ? "rgba(31, 31, 31, 0.12)" : "#747775"}`;
    this.button.style.cursor = off ? "default" : "pointer";
    this.button.setAttribute("aria-busy", String(busy));
    this.dataset.state = busy ? "busy" : "idle"; // for tests and scripts: is a batch running?
  }

  /** The browser's own checks: the server checks everything again. */
  choose(files) {
    const perFile = Number(this.maxFileBytes) || Infinity;
    const most = Number(this.maxFiles) || Infinity;
    const types = new Set(this.types || []);
    const reasons = this.typeReasons || {};
    const refusals = new Map(); // reason -> names
    const refuse = (reason, name) => refusals.set(reason, [...(refusals.get(reason) || []), name]);
    const kept = [];
    files.forEach((file, index) => {
      if (index >= most) {
        refuse(`at most ${most} files are taken per upload. Upload these in another batch.`,
               file.name);
      } else if (file.size === 0) {
        refuse("the file is empty.", file.name);
      } else if (file.size > perFile) {
        refuse(`the limit is ${human(perFile)} per file.`, `${file.name} (${human(file.size)})`);
      } else if (!types.has(file.type)) {
        const why = reasons[file.type] || `${file.type} files are not supported; ${this.hint}`;
        refuse(`${why}.`, file.name);
      } else {
        kept.push({file, name: file.name, state: "asking", sent: 0, result: ""});
      }
    });
    current = {
      owner: this,
      id: randomId(),
      refused: [...refusals].map(([reason, names]) => `Not sent: ${listed(names)}: ${reason}`),
      files: kept,
      state: kept.length ? "asking" : "done",
    };
    this.update();
    redraw();
    if (!kept.length) return;
    const batch = current;
    const described = kept.map(({file}) => ({name: file.name.slice(0, 255), size: file.size,
                                             type: file.type}));
    // Never left busy: a reply that does not come (the page reloaded, the server went away)
    // ends the batch.
    batch.timer = setTimeout(() => this.giveUp(batch, "the server did not answer"), 60_000);
    this.dispatchEvent(new MesopEvent(this.requestEvent, {batch: batch.id, files: described}));
  }

  giveUp(batch, why) {
    for (const entry of batch.files) {
      if (!entry.result) entry.result = why;
    }
    this.finish(batch);
  }

  finish(batch) {
    clearTimeout(batch.timer);
    batch.state = "done";
    this.update();
    redraw();
  }

  set reply(value) {
    const batch = current;
    if (!value || !batch || batch.owner !== this || value.batch !== batch.id) return;
    if (Array.isArray(value.uploads) && batch.state === "asking") {
      clearTimeout(batch.timer);
      const byFile = new Map(value.uploads.map((upload) => [upload.file, upload]));
      batch.queue = [];
      batch.files.forEach((entry, index) => {
        const upload = byFile.get(index);
        if (!upload) {
          entry.result = "refused by the server (see below)";
          return;
        }
        Object.assign(entry, {object: upload.object, url: upload.url, headers: upload.headers,
                              state: "waiting"});
        batch.queue.push(entry);
      });
      batch.state = "sending";
      batch.inFlight = 0;
      if (!batch.queue.length) {
        this.finish(batch);
        return;
      }
      this.pump(batch);
      redraw();
    } else if (value.done && batch.state === "reporting") {
      this.finish(batch);
    }
  }

  pump(batch) {
    while (batch.inFlight < (Number(this.parallel) || 1) && batch.queue.length) {
      this.put(batch, batch.queue.shift());
    }
    if (!batch.inFlight && !batch.queue.length) this.report(batch);
  }

  put(batch, entry) {
    batch.inFlight += 1;
    this.attempt(batch, entry);
  }

  /** One try at sending the file. A connection that fails or a 5xx, 408 or 429 answer is tried
   * again after 0.5, 1 and 2 s, as Google's storage clients retry (the URL stays valid and the
   * PUT is idempotent); an upload that stalled for stallSeconds is not. */
  attempt(batch, entry) {
    entry.state = "sending";
    const xhr = new XMLHttpRequest();
    const stallMs = (Number(this.stallSeconds) || 10) * 1000;
    let moved = performance.now();
    let stalled = false;
    let ended = false;
    const watch = setInterval(() => {
      if (performance.now() - moved > stallMs) {
        stalled = true;
        xhr.abort();
      }
    }, 250);
    const done = (result) => {
      if (ended) return;
      ended = true;
      clearInterval(watch);
      const retries = [500, 1000, 2000];
      const transient = result === "interrupted" || /^http (5\d\d|408|429)$/.test(result);
      entry.tries = (entry.tries || 0) + 1;
      if (transient && entry.tries <= retries.length) {
        entry.spent = (entry.spent || 0) + entry.sent; // bytes that went, all the same
        entry.sent = 0;
        entry.state = "retrying";
        redraw();
        setTimeout(() => this.attempt(batch, entry), retries[entry.tries - 1]);
        return;
      }
      entry.result = result;
      if (result === "ok") entry.sent = entry.file.size;
      batch.inFlight -= 1;
      redraw();
      this.pump(batch);
    };
    xhr.upload.addEventListener("progress", (event) => {
      moved = performance.now();
      entry.sent = Math.max(entry.sent, event.loaded);
      redraw();
    });
    xhr.upload.addEventListener("load", () => {
      moved = performance.now(); // all sent: from now on, waiting for storage's answer
    });
    xhr.addEventListener("load", () => done(xhr.status < 300 ? "ok" : `http ${xhr.status}`));
    xhr.addEventListener("error", () => done("interrupted"));
    xhr.addEventListener("abort", () => done(stalled ? "timeout" : "interrupted"));
    try {
      xhr.open("PUT", entry.url);
      for (const [name, value] of Object.entries(entry.headers || {})) {
        xhr.setRequestHeader(name, value);
      }
      xhr.send(entry.file);
    } catch {
      entry.tries = Infinity; // a URL or header this browser will not send: no use trying again
      done("interrupted");
    }
  }

  report(batch) {
    if (batch.state !== "sending") return;
    batch.state = "reporting";
    const sent = batch.files.filter((entry) => entry.object);
    const bytes = sent.reduce((sum, entry) => sum + entry.sent + (entry.spent || 0), 0);
    const label = `upload of ${sent.length} file${sent.length === 1 ? "" : "s"}`;
    // The meter counts what went to storage; it credits it to the next /__ui__ request: this
    // event's.
    window.dispatchEvent(new CustomEvent("payload-meter:storage-up", {detail: {bytes, label}}));
    batch.timer = setTimeout(() => this.finish(batch), 300_000);
    const files = sent.map((entry) => ({object: entry.object, name: entry.name.slice(0, 255),
                                        result: entry.result}));
    this.dispatchEvent(new MesopEvent(this.arrivedEvent, {batch: batch.id, files}));
    redraw();
  }
}

/** The current batch, one line per file, below the buttons. Draws only (DOM calls: Mesop's CSP
 * requires Trusted Types for HTML). */
class DirectUploadStatus extends HTMLElement {
  connectedCallback() {
    this.setAttribute("role", "status");
    this.style.display = "block";
    views.add(this);
    this.render();
  }

  disconnectedCallback() {
    views.delete(this);
  }

  render() {
    const lines = [];
    if (current) {
      for (const text of current.refused) {
        const line = document.createElement("div");
        line.style.color = "#b3261e";
        line.textContent = text;
        lines.push(line);
      }
      for (const entry of current.files) lines.push(this.row(entry));
    }
    this.replaceChildren(...lines);
  }

  row(entry) {
    const line = document.createElement("div");
    Object.assign(line.style, {display: "flex", gap: "8px", alignItems: "center", fontSize: "14px"});
    line.dataset.upload = entry.name;
    const name = document.createElement("span");
    name.textContent = entry.name;
    const what = document.createElement("span");
    what.style.color = "#555";
    if (entry.result === "ok") {
      what.textContent = `sent to storage, ${human(entry.file.size)}`;
    } else if (entry.result) {
      const known = {interrupted: "upload cut off", timeout: "no answer from storage"};
      what.textContent = known[entry.result] || entry.result.replace(/^http /, "storage answered ");
      what.style.color = "#b3261e";
    } else if (entry.state === "sending") {
      const bar = document.createElement("progress");
      bar.max = entry.file.size;
      bar.value = entry.sent;
      what.textContent = `${Math.floor((100 * entry.sent) / entry.file.size)} %`;
      line.append(name, bar, what);
      return line;
    } else {
      const states = {asking: "asking where to send it", retrying: "trying again"};
      what.textContent = states[entry.state] || "waiting";
    }
    line.dataset.result = entry.result;
    line.append(name, what);
    return line;
  }
}

customElements.get("direct-upload") || customElements.define("direct-upload", DirectUpload);
customElements.get("direct-upload-status") ||
  customElements.define("direct-upload-status", DirectUploadStatus);
