// The gallery's thumbnail grid, as two plain custom elements (no framework, no CDN).
//
// Why not one Mesop box and image per thumbnail: each Mesop component costs the server tens of
// microseconds per render (argument validation, style conversion, tree diffing), twice per click,
// so a 48-image gallery made every select click about twice as costly as a 1-image one. Here the
// server sends the thumbnails as data, a few web components in all, whatever the gallery's size.
//
// Why two elements, data and view:
// - <thumbnail-chunk> carries the data of up to 12 thumbnails and draws nothing. Mesop re-sends all
//   of a web component's properties when any of them changes; in chunks, adding an image re-sends
//   one chunk, not the whole gallery.
// - <thumbnail-grid> draws every chunk's thumbnails as one CSS grid and carries the selection, so a
//   select click re-sends a few dozen bytes (the selected key), not any thumbnail.
// They meet in this module: chunks register their data here, the grid draws what is registered.

const ACCENT = "#1a73e8";
const chunks = new Map(); // chunk index -> [{key, name, src}, ...]
const grids = new Set();
let redrawQueued = false;

function chunksChanged() {
  // Mesop updates several chunks in one reply: draw once, after all of them.
  if (redrawQueued) return;
  redrawQueued = true;
  queueMicrotask(() => {
    redrawQueued = false;
    for (const grid of grids) grid.render();
  });
}

class ThumbnailChunk extends HTMLElement {
  connectedCallback() {
    this.hidden = true;
    this.register();
  }

  disconnectedCallback() {
    this.unregister();
    chunksChanged();
  }

  set index(value) {
    this.unregister();
    this._index = value;
    this.register();
  }

  get index() {
    return this._index;
  }

  set thumbnails(value) {
    this._thumbnails = Array.isArray(value) ? value : [];
    this.register();
  }

  get thumbnails() {
    return this._thumbnails || [];
  }

  register() {
    if (!this.isConnected || this._index === undefined) return;
    chunks.set(this._index, this.thumbnails);
    chunksChanged();
  }

  unregister() {
    // Only this chunk's own data: another element may have taken the index since (a new page's).
    if (chunks.get(this._index) === this._thumbnails) chunks.delete(this._index);
  }
}

class ThumbnailGrid extends HTMLElement {
  constructor() {
    super();
    this.images = new Map(); // key -> <img>, reused across redraws so nothing reloads or flickers
    this.addEventListener("click", (event) => this.choose(event.target));
    this.addEventListener("keydown", (event) => {
      if (event.repeat || event.altKey || event.ctrlKey || event.metaKey) return; // one key, one select
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        this.choose(event.target);
      }
    });
  }

  connectedCallback() {
    Object.assign(this.style, {
      display: "grid",
      gridTemplateColumns: "repeat(auto-fill, minmax(120px, 1fr))",
      gap: "8px",
      alignContent: "start",
    });
    grids.add(this);
    // Drawn once the chunks of this reply have registered (a microtask later), not before: a
    // page just left may still have chunks registered, whose images would start loading.
    chunksChanged();
  }

  disconnectedCallback() {
    grids.delete(this);
  }

  set selected(value) {
    this._selected = value || "";
    this.markSelected();
  }

  get selected() {
    return this._selected || "";
  }

  choose(target) {
    const key = target instanceof HTMLImageElement ? target.dataset.key : undefined;
    if (key === undefined || !this.selectEvent) return;
    this.dispatchEvent(new MesopEvent(this.selectEvent, {key}));
  }

  render() {
    const indexes = [...chunks.keys()].sort((a, b) => a - b);
    const wanted = indexes.flatMap((index) => chunks.get(index));
    const images = new Map();
    for (const {key, name, src} of wanted) {
      const img = this.images.get(key) || this.thumbnail(key);
      if (img.getAttribute("src") !== src) img.src = src;
      img.alt = `Thumbnail: ${name}`;
      images.set(key, img);
    }
    this.images = images;
    // Mesop may hand a chunk its (unchanged) data again on any reply: move nothing then, since
    // taking a focused thumbnail out of the page, even to put it back, would lose the focus.
    const order = [...images.values()];
    if (order.length !== this.children.length || order.some((img, i) => this.children[i] !== img)) {
      this.replaceChildren(...order);
    }
    this.markSelected();
  }

  thumbnail(key) {
    const img = document.createElement("img");
    img.dataset.key = key;
    img.tabIndex = 0; // reachable and selectable from the keyboard (Enter or Space)
    Object.assign(img.style, {
      display: "block",
      width: "100%",
      aspectRatio: "3 / 2",
      objectFit: "cover",
      borderRadius: "6px",
      cursor: "pointer",
      outlineOffset: "3px", // the browser's own focus ring, outside the selection's
    });
    return img;
  }

  markSelected() {
    for (const [key, img] of this.images) {
      const chosen = key === this.selected;
      // A shadow, not an outline: an inline outline would hide the keyboard focus ring.
      img.style.boxShadow = chosen ? `0 0 0 3px ${ACCENT}` : "";
      if (chosen) img.setAttribute("aria-current", "true");
      else img.removeAttribute("aria-current");
    }
  }
}

customElements.get("thumbnail-chunk") || customElements.define("thumbnail-chunk", ThumbnailChunk);
customElements.get("thumbnail-grid") || customElements.define("thumbnail-grid", ThumbnailGrid);
