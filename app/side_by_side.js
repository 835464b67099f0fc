// /compare: every pattern's real page in a frame, driven together, with their meters side by side.
//
// Why frames of the real pages: what each meter measures is then exactly what that page costs,
// with nothing simulated. Why the buttons live here, in the browser: one click must reach every
// frame at the same moment, and the frames are same-origin pages this element can drive the way a
// person would (it clicks their own "Add sample images" button and the same thumbnail in each).
// The live table reads each frame's <payload-meter> attributes (app/meter/meter.js): the cost of
// the same click, at the same moment, per pattern.

function el(tag, style = {}, text = "") {
  const node = document.createElement(tag);
  Object.assign(node.style, style);
  if (text) node.textContent = text;
  return node;
}

class SideBySide extends HTMLElement {
  constructor() {
    super();
    this.next = 0;
    this.timer = null;
  }

  connectedCallback() {
    this.timer = setInterval(() => this.refresh(), 400);
    this.draw();
  }

  disconnectedCallback() {
    clearInterval(this.timer);
  }

  set pages(value) {
    this._pages = Array.isArray(value) ? value : [];
    this.draw();
  }

  get pages() {
    return this._pages || []; // [{path, label, color}], from app/patterns.py
  }

  draw() {
    if (!this.isConnected) return;
    const bar = el("div", {display: "flex", gap: "12px", alignItems: "center", flexWrap: "wrap",
                           margin: "0 0 12px"});
    const add = this.button("Add sample images", () => this.addSamples());
    const next = this.button("Next image", () => this.nextImage());
    this.status = el("span", {color: "#5f6368", fontSize: "15px"});
    bar.append(add, next, this.status);

    this.table = el("div", {display: "grid", gap: "6px", margin: "0 0 16px",
                            gridTemplateColumns: "minmax(140px, 1.2fr) repeat(4, minmax(90px, 1fr))",
                            fontSize: "18px", alignItems: "baseline"});
    const grid = el("div", {display: "grid", gap: "12px",
                            gridTemplateColumns: "repeat(auto-fit, minmax(560px, 1fr))"});
    this.frames = this.pages.map(({path, label, color}) => {
      const card = el("div", {border: "1px solid #dadce0", borderTop: `6px solid ${color || "#dadce0"}`,
                              borderRadius: "12px", overflow: "hidden", background: "#fff"});
      card.append(el("div", {fontWeight: "bold", padding: "8px 12px"}, label));
      // The page at twice the size, shown at half: the whole meter and gallery fit the card.
      const clip = el("div", {height: "520px", overflow: "hidden", position: "relative"});
      const frame = el("iframe", {width: "200%", height: "1040px", border: "0",
                                  transform: "scale(0.5)", transformOrigin: "0 0"});
      frame.title = `${label}, live`;
      frame.src = `${path}?embed=1`;
      clip.append(frame);
      card.append(clip);
      grid.append(card);
      return {path, label, frame};
    });
    this.replaceChildren(bar, this.table, grid);
    this.refresh();
  }

  button(text, action) {
    const button = el("button", {font: "inherit", fontSize: "16px", padding: "8px 20px",
                                 borderRadius: "20px", border: "1px solid #1a73e8",
                                 background: "#1a73e8", color: "#fff", cursor: "pointer"}, text);
    button.type = "button";
    button.addEventListener("click", action);
    return button;
  }

  documentOf(frame) {
    try {
      return frame.contentDocument;
    } catch {
      return null; // not same-origin: nothing to drive
    }
  }

  addSamples() {
    for (const {frame} of this.frames) {
      const doc = this.documentOf(frame);
      const button = doc && [...doc.querySelectorAll("button")]
        .find((b) => b.textContent.trim() === "Add sample images" && !b.disabled);
      if (button) button.click();
    }
    this.status.textContent = "Adding the samples in every frame…";
  }

  thumbnails(frame) {
    const doc = this.documentOf(frame);
    return doc ? [...doc.querySelectorAll('img[alt^="Thumbnail: "]')] : [];
  }

  nextImage() {
    const counts = this.frames.map(({frame}) => this.thumbnails(frame).length);
    const fewest = Math.min(...counts);
    if (!fewest) {
      this.status.textContent = "Add the samples first: some frames have no images.";
      return;
    }
    const index = this.next % fewest;
    this.next = index + 1;
    const name = this.thumbnails(this.frames[0].frame)[index].alt.replace(/^Thumbnail: /, "");
    for (const {frame} of this.frames) {
      const thumbnail = this.thumbnails(frame).find((img) => img.alt === `Thumbnail: ${name}`);
      if (thumbnail) thumbnail.click();
    }
    this.dataset.selected = name;
    this.status.textContent = `Selected ${name} in every frame.`;
  }

  refresh() {
    if (!this.table || !this.frames) return;
    const cells = ["pattern", "▲ up", "▼ down", "▣ images", "4G phone"].map((text) =>
      el("div", {color: "#5f6368", fontSize: "15px"}, text));
    for (const {path, label, frame} of this.frames) {
      const doc = this.documentOf(frame);
      const meter = doc && doc.querySelector("payload-meter");
      const data = meter ? meter.dataset : {};
      // The meter's own formatting (DevTools' units), from the frame that measured.
      const human = (bytes) => frame.contentWindow.__payloadMeter.human(bytes);
      const row = el("div", {fontWeight: "bold"}, label);
      row.dataset.comparePath = path;
      const has = data.meterUp !== undefined;
      if (has) {
        row.dataset.compareUp = data.meterUp;
        row.dataset.compareDown = data.meterDown;
        row.dataset.compareMedia = data.meterMedia;
      }
      let phone = "";
      try {
        const ms = JSON.parse(data.meterEstimates || "{}")["4G phone"];
        if (ms !== undefined) phone = frame.contentWindow.__payloadMeter.seconds(ms);
      } catch {
        phone = "";
      }
      cells.push(
        row,
        el("div", {color: "#d93025", fontWeight: "bold"}, has ? human(Number(data.meterUp)) : "…"),
        el("div", {color: "#1a73e8", fontWeight: "bold"}, has ? human(Number(data.meterDown)) : "…"),
        el("div", {color: "#188038", fontWeight: "bold"}, has ? human(Number(data.meterMedia)) : "…"),
        el("div", {}, phone || "…"),
      );
    }
    this.table.replaceChildren(...cells);
  }
}

customElements.get("side-by-side") || customElements.define("side-by-side", SideBySide);
