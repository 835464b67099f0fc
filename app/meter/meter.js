/**
 * The payload meter: what this page moves over the wire, measured by the browser itself.
 *
 * Why in the browser: the server cannot see what the browser re-uses from its cache, and
 * DevTools shows bytes but not on the page, per click, or side by side. Two plain custom elements
 * (no framework, no CDN), loaded by Mesop as web components:
 *   <payload-meter page="/gcs">  on every gallery page: the last interaction and this visit;
 *   <payload-comparison>        on the overview: the figures last measured on each page.
 *
 * How it measures, without disturbing what it measures (no request of its own, nothing in Mesop
 * state):
 *   - /__ui__: Mesop's client sends each event with XMLHttpRequest (or, with
 *     MESOP_WEBSOCKETS_ENABLED, as a WebSocket frame). The meter wraps the browser's
 *     XMLHttpRequest.prototype.open/send and WebSocket.prototype.send (as real-user-monitoring
 *     scripts do; Mesop itself is not touched) to count the request body it sends and the
 *     response bytes it receives (ProgressEvent.loaded, or the frames up to the end marker).
 *     The WebSocket count is approximate (it assumes one event at a time) and is not covered by
 *     the end-to-end tests; the XMLHttpRequest count is.
 *   - images fetched outside /__ui__ (from the bucket): Resource Timing. A cache hit costs 0
 *     (transferSize 0). Cross-origin sizes are visible only when the response carries
 *     Timing-Allow-Origin; where it does not (real Cloud Storage), the meter counts those images
 *     as "size hidden" rather than guessing.
 *   - bytes uploaded to storage outside /__ui__ (a page whose browser uploads straight to the
 *     bucket): Resource Timing cannot see request bodies, so whatever sends them says how many
 *     with a window event, `payload-meter:storage-up` ({bytes, label}); they are credited to the
 *     next /__ui__ request (the one that reports the upload), as "to storage".
 * Figures are kept per page in sessionStorage, so the overview can put the pages side by side.
 */

const STORE_PREFIX = "payload-meter:";
const STATE_WARNING_BYTES = 1000 * 1000;

/** Sizes as DevTools prints them: 1 kB = 1,000 B; one decimal below 100 of a unit, none above
 * ("912 B", "36.7 kB", "367 kB", "4.9 MB"). The app's server side prints with the same rules. */
function human(bytes) {
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes;
  for (const unit of ["kB", "MB", "GB"]) {
    value /= 1000;
    if (value < 100) return `${value.toFixed(1)} ${unit}`;
    if (value < 1000 || unit === "GB") return `${Math.round(value)} ${unit}`;
  }
}

/* ---------- what a request's state is made of (read from the request itself) ---------- */

function fromBase64Url(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text, {alphabet: "base64url"});
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function readVarint(bytes, i) {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = bytes[i++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i];
    scale *= 128;
  }
}

/** The length-delimited fields of a protobuf message: [number, start, end]. */
function* protoFields(bytes, start, end) {
  let i = start;
  while (i < end) {
    let key;
    [key, i] = readVarint(bytes, i);
    const wire = key % 8;
    if (wire === 0) [, i] = readVarint(bytes, i);
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      let length;
      [length, i] = readVarint(bytes, i);
      yield [Math.floor(key / 8), i, i + length];
      i += length;
    } else return; // groups: Mesop's protocol has none
  }
}

/** Each state's JSON in a Mesop request (mesop/protos/ui.proto: UiRequest.user_event = 2,
 * UserEvent.states = 1, States.states = 1, State.data = 1), in Mesop's order of state classes. */
function statesOf(bytes) {
  const found = [];
  const inside = (start, end, number) =>
    [...protoFields(bytes, start, end)].filter(([n]) => n === number);
  for (const [, a, b] of inside(0, bytes.length, 2)) {
    for (const [, c, d] of inside(a, b, 1)) {
      for (const [, e, f] of inside(c, d, 1)) {
        for (const [, g, h] of inside(e, f, 1)) found.push(bytes.subarray(g, h));
      }
    }
  }
  return found;
}

/** Every field of every state, with its bytes as JSON, largest first. */
function fieldSizes(body, classes) {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const sizes = [];
  statesOf(fromBase64Url(body)).forEach((data, index) => {
    let value;
    try {
      value = JSON.parse(decoder.decode(data));
    } catch {
      return;
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) return;
    const name = (classes[index] && classes[index].name) || `state ${index + 1}`;
    for (const [field, item] of Object.entries(value)) {
      sizes.push({state: name, field, bytes: encoder.encode(JSON.stringify(item)).length});
    }
  });
  return sizes.sort((a, b) => b.bytes - a.bytes);
}

/* ---------- what the last click would take on a real network ---------- */

function bytesPerMs(kbps) {
  return (kbps * 1024) / 8 / 1000; // profiles.json: kbps of 1,024 bits per second
}

/** The click's time on `profile`: what it took here (the server's part, when measured on a fast
 * connection), a round trip for the request and one more if it fetched images, and its bytes at
 * the profile's rates. The model of Chrome's own network emulation (latency per request,
 * throughput per direction). */
function estimateMs(figures, profile) {
  const trips = 1 + (figures.mediaRequests > 0 ? 1 : 0) + (figures.storageUp > 0 ? 1 : 0);
  return Math.round(
    figures.ms +
      profile.rtt_ms * trips +
      (figures.up + (figures.storageUp || 0)) / bytesPerMs(profile.up_kbps) +
      (figures.down + figures.media) / bytesPerMs(profile.down_kbps),
  );
}

function seconds(ms) {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
}

function emptyFigures(label) {
  return {label, up: 0, down: 0, media: 0, storageUp: 0, uiRequests: 0, mediaRequests: 0,
          hiddenMedia: 0, ms: 0};
}

function isUi(url) {
  try {
    return new URL(url, location.href).pathname.endsWith("/__ui__");
  } catch {
    return false;
  }
}

/** One per page load, shared by every meter element (Mesop may re-create them on navigation). */
class Recorder {
  constructor() {
    this.listeners = new Set();
    this.visitPath = null;
    this.nextLabel = null;
    this.nextUploadInput = null;
    this.pendingStorageUp = 0; // reported by an uploader, for the next /__ui__ request
    this.recent = []; // the latest interactions, oldest first: images are credited by start time
    this.urls = new WeakMap();
    this.startPageLoad();
    this.hookXhr();
    this.hookWebSocket();
    this.observeImages();
    this.watchClicks();
    window.addEventListener("payload-meter:storage-up", (event) => this.onStorageUp(event.detail));
  }

  onStorageUp(detail) {
    const bytes = Number(detail && detail.bytes);
    if (Number.isFinite(bytes) && bytes > 0) this.pendingStorageUp += bytes;
    if (detail && typeof detail.label === "string") this.nextLabel = detail.label.slice(0, 40);
  }

  load(path) {
    try {
      return JSON.parse(sessionStorage.getItem(STORE_PREFIX + path) || "null");
    } catch {
      return null;
    }
  }

  save(record) {
    try {
      sessionStorage.setItem(STORE_PREFIX + record.path, JSON.stringify(record));
    } catch {
      // Storage full or disabled: the meter still shows the figures, it only cannot keep them.
    }
    for (const listener of this.listeners) listener(record.path);
  }

  /** The record of the current visit to `path`. A visit starts when the page is opened, by a
   * page load or by navigating to it inside the app; coming back later starts a new one. */
  visit(path) {
    if (this.visitPath !== path || !this.record) {
      this.visitPath = path;
      this.record = {
        path,
        started: new Date().toISOString(),
        last: null,
        select: (this.load(path) || {}).select || null, // the last one measured here, until a new one
        total: emptyFigures("since this page was opened"),
        stateBytes: 0,
      };
    }
    return this.record;
  }

  /** The meter's script arrives after the page's first /__ui__ request: its reply is counted
   * from Resource Timing (same origin), its small request body cannot be. That request always
   * happened (its reply is what rendered this meter), but Chromium records no Resource Timing
   * entry when Mesop's client aborts it at its end marker before the server's closing chunk
   * (seen under threaded workers): then it counts as one request of unknown size. */
  startPageLoad() {
    const load = {...emptyFigures("page load"), done: true, t0: 0, firstByte: 0, uiRequests: 1};
    const entry = performance.getEntriesByType("resource").find((e) => isUi(e.name));
    if (entry) load.down = entry.encodedBodySize;
    this.remember(load);
    this.attribute(load, location.pathname);
  }

  remember(interaction) {
    this.recent.push(interaction);
    if (this.recent.length > 20) this.recent.shift();
  }

  attribute(interaction, path) {
    const record = this.visit(path);
    // Not enumerable: the record is saved as JSON, and it holds the interaction.
    Object.defineProperty(interaction, "record", {value: record, writable: true});
    // What the gallery held, for the overview: a click's cost depends on it on /base64.
    interaction.images = document.querySelectorAll('img[alt^="Thumbnail"]').length;
    interaction.at = Date.now();
    record.last = interaction;
    if (interaction.label.startsWith("select")) record.select = interaction;
    for (const key of ["up", "down", "media", "storageUp", "uiRequests", "mediaRequests",
                       "hiddenMedia", "ms"]) {
      record.total[key] = (record.total[key] || 0) + (interaction[key] || 0);
    }
    if (interaction.up) record.stateBytes = interaction.stateBytes;
    this.save(record);
  }

  hookXhr() {
    const recorder = this;
    const open = XMLHttpRequest.prototype.open;
    const send = XMLHttpRequest.prototype.send;
    XMLHttpRequest.prototype.open = function (method, url, ...rest) {
      recorder.urls.set(this, String(url));
      return open.call(this, method, url, ...rest);
    };
    XMLHttpRequest.prototype.send = function (body) {
      if (isUi(recorder.urls.get(this) || "")) recorder.track(this, body);
      return send.call(this, body);
    };
  }

  uploadBytes() {
    const files = this.nextUploadInput ? this.nextUploadInput.files : null;
    return files ? [...files].reduce((sum, file) => sum + file.size, 0) : 0;
  }

  /** A new /__ui__ interaction: media that arrives from now on is attributed to it. */
  begin(body) {
    // Mesop sends base64url text (ASCII): characters are bytes. The state travels inside it as
    // protobuf, so the decoded size, less the files of an upload, is what Mesop serialized.
    const up = typeof body === "string" ? body.length : body ? body.size || body.byteLength : 0;
    const interaction = {
      ...emptyFigures(this.nextLabel || "request"),
      up,
      uiRequests: 1,
      stateBytes: Math.max(0, Math.floor((up * 3) / 4) - this.uploadBytes()),
      storageUp: this.pendingStorageUp,
      t0: performance.now(),
      firstByte: Infinity, // when its reply began to arrive: what it shows is fetched after that
      done: false,
    };
    this.nextLabel = null;
    this.nextUploadInput = null;
    this.pendingStorageUp = 0;
    this.remember(interaction);
    if (typeof body === "string" && body) {
      // After the request is on its way: the meter must not delay what it measures.
      setTimeout(() => this.weigh(interaction, body));
    }
    return interaction;
  }

  /** Which fields of the state the request carried, by size (its own JSON). */
  weigh(interaction, body) {
    try {
      interaction.fields = fieldSizes(body, this.stateClasses || []);
    } catch {
      interaction.fields = []; // not a request this meter can read: no breakdown
    }
    if (interaction.record) this.save(interaction.record);
  }

  finish(interaction) {
    if (interaction.done) return;
    interaction.ms = performance.now() - interaction.t0;
    interaction.done = true;
    // A navigation's reply renders the next page: its cost is the cost of opening that page.
    this.attribute(interaction, location.pathname);
  }

  track(xhr, body) {
    const interaction = this.begin(body);
    // Mesop aborts the request from its own progress listener as soon as it reads the stream's
    // end marker. Chromium then delivers no abort or loadend event to other listeners, and
    // resets responseText; the progress event itself still arrives, with the final byte count.
    xhr.addEventListener("progress", (event) => {
      // The event's own time stamp: Mesop renders from this same event, before this listener.
      interaction.firstByte = Math.min(interaction.firstByte, event.timeStamp);
      interaction.down = Math.max(interaction.down, event.loaded);
      if (xhr.readyState !== XMLHttpRequest.LOADING) this.finish(interaction);
    });
    xhr.addEventListener("loadend", (event) => {
      interaction.down = Math.max(interaction.down, event.loaded);
      setTimeout(() => this.finish(interaction)); // after a progress event still being dispatched
    });
  }

  /** With MESOP_WEBSOCKETS_ENABLED, events and replies travel as frames on one socket.
   * Approximate: frames are credited to the latest event, assuming one event at a time. */
  hookWebSocket() {
    const recorder = this;
    const send = WebSocket.prototype.send;
    const watched = new WeakSet();
    WebSocket.prototype.send = function (data) {
      if (isUi(this.url)) {
        if (!watched.has(this)) {
          watched.add(this);
          this.addEventListener("message", (event) => recorder.onFrame(event));
        }
        recorder.socketInteraction = recorder.begin(data);
      }
      return send.call(this, data);
    };
  }

  onFrame(event) {
    const interaction = this.socketInteraction;
    const data = event.data;
    if (!interaction || interaction.done || typeof data !== "string") return;
    interaction.firstByte = Math.min(interaction.firstByte, event.timeStamp);
    interaction.down += data.length;
    if (data.slice(6).trimEnd() === "<stream_end>") this.finish(interaction); // "data: <stream_end>"
  }

  observeImages() {
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.onResource(entry);
    });
    observer.observe({type: "resource", buffered: true});
  }

  onResource(entry) {
    // <img> only: fonts and style sheets are not the gallery's images.
    if (isUi(entry.name) || !["img", "image"].includes(entry.initiatorType)) return;
    const hidden =
      entry.transferSize === 0 && entry.encodedBodySize === 0 && entry.decodedBodySize === 0;
    // A cache hit has transferSize 0; a revalidation (304) only its headers: the body costs 0.
    const bytes = entry.transferSize > entry.encodedBodySize ? entry.encodedBodySize : 0;
    // Credited to the interaction whose reply showed it: the latest one whose reply had begun to
    // arrive when the image was requested (with quick clicks, the next click's request may
    // already be on its way while the previous reply's images are being fetched).
    const interaction =
      this.recent.findLast((candidate) => candidate.firstByte <= entry.startTime) ||
      this.recent[0];
    interaction.media += bytes;
    interaction.mediaRequests += bytes > 0 || hidden ? 1 : 0;
    interaction.hiddenMedia += hidden ? 1 : 0;
    if (interaction.record) {
      // Already attributed (the reply has ended): add to the visit as well.
      const total = interaction.record.total;
      total.media += bytes;
      total.mediaRequests += bytes > 0 || hidden ? 1 : 0;
      total.hiddenMedia += hidden ? 1 : 0;
      this.save(interaction.record);
    }
  }

  /** Names the next interaction after what the user clicked, so the meter can say what it was. */
  watchClicks() {
    document.addEventListener(
      "click",
      (event) => {
        const path = event.composedPath ? event.composedPath() : [event.target];
        const image = path.find((el) => el.tagName === "IMG");
        const button = path.find((el) => el.tagName === "BUTTON");
        if (image && (image.alt || "").startsWith("Thumbnail")) {
          this.nextLabel = `select ${image.alt.replace(/^Thumbnail:?\s*/, "")}`;
        } else if (button) {
          this.nextLabel = button.textContent.trim().replace(/\s+/g, " ").slice(0, 40);
        }
      },
      true,
    );
    document.addEventListener(
      "change",
      (event) => {
        const input = event.target;
        if (input && input.type === "file" && input.files) {
          const n = input.files.length;
          this.nextLabel = `upload of ${n} file${n === 1 ? "" : "s"}`;
          // The files travel in the request beside the state: they are not state. Read when the
          // request starts: another listener may still take files out of the selection.
          this.nextUploadInput = input;
        }
      },
      true,
    );
  }

  /** Figures for `path`: this visit's if it is the page being measured, else the stored ones. */
  figures(path) {
    return this.visitPath === path && this.record ? this.record : this.load(path);
  }
}

const recorder = (window.__payloadMeter ||= new Recorder());
// For pages that show a meter's figures elsewhere (/compare's table), in the meter's own words.
recorder.human = human;
recorder.seconds = seconds;

/* ---------- drawing (DOM calls only: Mesop's CSP requires Trusted Types for HTML) ---------- */

function el(tag, style = {}, text = "") {
  const node = document.createElement(tag);
  Object.assign(node.style, style);
  if (text) node.textContent = text;
  return node;
}

// Keep in sync with BAR_COLORS in pages/home.py (the benchmark's bars beside these).
const COLORS = {up: "#d93025", down: "#1a73e8", media: "#188038", storageUp: "#b06000"};
const NAMES = {up: "▲ up", down: "▼ down", media: "▣ images", storageUp: "△ to storage"};

function bar(value, max, color) {
  const track = el("div", {background: "#e8eaed", height: "10px", borderRadius: "5px", flex: "1"});
  const width = max > 0 ? Math.max(value > 0 ? 1 : 0, (100 * value) / max) : 0;
  track.append(el("div", {background: color, height: "10px", borderRadius: "5px", width: `${width}%`}));
  return track;
}

function figureRows(figures, max, keys = ["up", "down", "media"]) {
  const rows = el("div", {display: "grid", gap: "6px"});
  for (const key of keys) {
    const row = el("div", {display: "flex", alignItems: "center", gap: "10px"});
    row.append(
      el("span", {width: "84px", color: "#5f6368", fontSize: "15px"}, NAMES[key]),
      el("span", {width: "104px", fontSize: "22px", fontWeight: "bold", color: COLORS[key],
                  textAlign: "right", fontVariantNumeric: "tabular-nums"}, human(figures[key] || 0)),
      bar(figures[key] || 0, max, COLORS[key]),
    );
    rows.append(row);
  }
  return rows;
}

function requestsLine(figures) {
  // "label: count", never "N images": the page's own texts (and tests) say "12 images".
  const parts = [`/__ui__ requests: ${figures.uiRequests}`, `images fetched: ${figures.mediaRequests}`];
  if (figures.hiddenMedia) parts.push(`of unknown size (cross-origin): ${figures.hiddenMedia}`);
  if (figures.ms) parts.push(`waiting for replies: ${Math.round(figures.ms)} ms`);
  return parts.join(" · ");
}

class PayloadMeter extends HTMLElement {
  static get observedAttributes() {
    return ["page"];
  }

  constructor() {
    super();
    this.redraw = (path) => path === this.path && this.render();
  }

  get path() {
    return this.page || this.getAttribute("page") || location.pathname;
  }

  connectedCallback() {
    recorder.listeners.add(this.redraw);
    this.render();
  }

  disconnectedCallback() {
    recorder.listeners.delete(this.redraw);
  }

  attributeChangedCallback() {
    this.render();
  }

  set page(value) {
    this._page = value;
    this.render();
  }

  set states(value) {
    // [{name, fields}] in Mesop's order (meter.py): names the fields of each request's states.
    recorder.stateClasses = Array.isArray(value) ? value : [];
  }

  set profiles(value) {
    this._profiles = Array.isArray(value) ? value : [];
    this.render();
  }

  get profiles() {
    return this._profiles || [];
  }

  get page() {
    return this._page;
  }

  render() {
    const record = recorder.figures(this.path);
    if (!record || !record.last) return;
    const last = record.last;
    const total = record.total;
    // Read by the tests and benchmarks (keep them stable): integer bytes, last completed
    // interaction and visit.
    this.dataset.meterUp = String(last.up);
    this.dataset.meterDown = String(last.down);
    this.dataset.meterMedia = String(last.media);
    this.dataset.meterTotalUp = String(total.up);
    this.dataset.meterTotalDown = String(total.down);
    this.dataset.meterTotalMedia = String(total.media);
    // Bytes sent to storage outside /__ui__ (browser-to-bucket uploads).
    this.dataset.meterStorageUp = String(last.storageUp || 0);
    this.dataset.meterTotalStorageUp = String(total.storageUp || 0);
    this.dataset.meterRequests = String(total.uiRequests);
    this.dataset.meterState = String(record.stateBytes);
    const fields = last.fields || [];
    const heaviest = fields.length ? `${fields[0].state}.${fields[0].field}` : "";
    this.dataset.meterHeaviest = heaviest;
    this.dataset.meterFields = JSON.stringify(fields);
    const estimates = Object.fromEntries(
      this.profiles.map((profile) => [profile.name, estimateMs(last, profile)]),
    );
    this.dataset.meterEstimates = JSON.stringify(estimates);

    const max = Math.max(last.up, last.down, last.media, total.up, total.down, total.media,
                         total.storageUp || 0);
    // The row "to storage" only where something went there: the other pages' meters stay as
    // they were.
    const keys = total.storageUp ? ["up", "down", "media", "storageUp"] : undefined;
    const box = el("div", {border: "1px solid #dadce0", borderRadius: "12px", padding: "16px",
                           margin: "8px 0 16px", background: "#fff", fontFamily: "inherit"});
    box.append(el("div", {fontWeight: "bold", fontSize: "16px", marginBottom: "8px"},
                  "Payload meter · measured by this browser"));
    const columns = el("div", {display: "grid", gap: "16px 32px",
                               gridTemplateColumns: "repeat(auto-fit, minmax(340px, 1fr))"});
    for (const [title, figures] of [[`Last: ${last.label}`, last], ["Since this page was opened", total]]) {
      const column = el("div");
      column.append(el("div", {fontSize: "15px", marginBottom: "6px", color: "#202124"}, title));
      column.append(figureRows(figures, max, keys));
      column.append(el("div", {fontSize: "15px", color: "#5f6368", marginTop: "6px"},
                       requestsLine(figures)));
      columns.append(column);
    }
    box.append(columns);
    const state = el("div", {marginTop: "10px", fontSize: "15px"},
                     `State sent up with the last click: ${human(record.stateBytes)}`);
    box.append(state);
    if (fields.length) {
      const top = fields.slice(0, 5).map((f) => `${f.state}.${f.field} ${human(f.bytes)}`);
      box.append(el("div", {fontSize: "14px", color: "#5f6368", marginTop: "4px"},
                    `Heaviest fields: ${top.join(" · ")}`));
    }
    if (this.profiles.length && last.done) {
      const line = el("div", {fontSize: "15px", marginTop: "6px"},
        "The last click would take about: " +
          this.profiles.map((p) => `${p.name} ${seconds(estimates[p.name])}`).join(" · "));
      line.title = this.profiles.map((p) => `${p.name}: ${p.source}`).join("\n");
      box.append(line);
    }
    if (record.stateBytes > STATE_WARNING_BYTES) {
      const warning = el("div", {background: "#fce8e6", color: "#a50e0e", borderRadius: "8px",
                                 padding: "10px 12px", marginTop: "8px", fontSize: "15px"});
      warning.setAttribute("role", "status"); // polite: it is redrawn as images arrive
      const culprit = fields.length
        ? ` The heaviest field is ${heaviest} (${human(fields[0].bytes)}).`
        : "";
      warning.textContent =
        `Warning: this page's state is over 1 MB (${human(record.stateBytes)}), and Mesop ` +
        `sends all of it with every click.${culprit} Keep large data out of state: in server ` +
        "memory, in a database, or in a bucket with signed URLs.";
      box.append(warning);
    }
    this.replaceChildren(box);
  }
}

/** The overview's side-by-side table: the select click and the visit, per pattern page. */
class PayloadComparison extends HTMLElement {
  connectedCallback() {
    this.render();
  }

  set pages(value) {
    this._pages = value;
    this.render();
  }

  get pages() {
    return this._pages || []; // [{path, label, color}], from the page (app/patterns.py here)
  }

  render() {
    // Only select clicks are compared: the same interaction on every page, like for like.
    const rows = this.pages.map(({path, label, color}) => {
      const record = recorder.figures(path);
      return {path, label, color, click: record && record.select, record};
    });
    const measured = rows.filter((row) => row.click);
    this.dataset.comparedPages = String(measured.length);
    const box = el("div", {display: "grid", gap: "14px"});
    if (!measured.length) {
      box.append(el("div", {color: "#5f6368", fontSize: "15px"},
        "Nothing measured in this tab yet: open a pattern's page, add the samples and click " +
        "a thumbnail; its figures appear here."));
      this.replaceChildren(box);
      return;
    }
    const max = Math.max(...measured.flatMap(({click}) => [click.up, click.down, click.media]));
    for (const {path, label, color, click, record} of rows) {
      const row = el("div", {border: "1px solid #dadce0", borderRadius: "12px", padding: "12px 16px",
                             borderLeft: `6px solid ${color || "#dadce0"}`});
      row.dataset.comparePath = path;
      row.append(el("div", {fontWeight: "bold", fontSize: "16px", marginBottom: "6px"}, label));
      if (!click) {
        row.append(el("div", {color: "#5f6368", fontSize: "15px"},
                      "no select click measured in this tab yet"));
      } else {
        row.dataset.compareUp = String(click.up);
        row.dataset.compareDown = String(click.down);
        row.dataset.compareMedia = String(click.media);
        const minutes = Math.round((Date.now() - (click.at || Date.now())) / 60000);
        const when = minutes < 1 ? "just now" : `${minutes} min ago`;
        row.append(el("div", {fontSize: "15px", color: "#5f6368", marginBottom: "4px"},
          `select ${click.label.replace(/^select /, "")} · ${click.images} images in the ` +
          `gallery · ${when}`));
        row.append(figureRows(click, max));
        row.append(el("div", {fontSize: "15px", color: "#5f6368", marginTop: "6px"},
          `state sent with it: ${human(click.stateBytes || 0)}`));
      }
      box.append(row);
    }
    this.replaceChildren(box);
  }
}

customElements.get("payload-meter") || customElements.define("payload-meter", PayloadMeter);
customElements.get("payload-comparison") ||
  customElements.define("payload-comparison", PayloadComparison);
