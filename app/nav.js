// Every page's navigation bar, as one plain custom element (no framework, no CDN).
//
// Why not a Mesop button per link: Mesop renders the whole page on every click, twice, and each
// component costs the server tens of microseconds per render. Six links as me.button were 18
// components (a button is three) and a box and a text around them: a third of a gallery page's
// components, re-rendered on every thumbnail click for a bar that never changes. Here they are
// one component whose properties (the links, the current page) are the same on every render.
// A link is a real <button>, named by its label; clicking it sends {"url": ...} to the server,
// which navigates inside the app (app/layout.py's `navigate`), so every page's state is kept.

class PageNav extends HTMLElement {
  constructor() {
    super();
    this.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-url]");
      if (button && this.navigateEvent) {
        this.dispatchEvent(new MesopEvent(this.navigateEvent, {url: button.dataset.url}));
      }
    });
  }

  set pages(value) {
    this._pages = Array.isArray(value) ? value : [];
    this.render();
  }

  set current(value) {
    this._current = value;
    this.render();
  }

  set brand(value) {
    this._brand = value;
    this.render();
  }

  connectedCallback() {
    this.render();
  }

  render() {
    if (!this.isConnected) return;
    // Mesop sets every property again on each update: rebuild only when they changed (keyboard
    // focus stays on the link it was on).
    const drawn = JSON.stringify([this._brand, this._current, this._pages]);
    if (drawn === this._drawn) return;
    this._drawn = drawn;
    const bar = document.createElement("nav");
    bar.setAttribute("aria-label", "Pages");
    bar.style.cssText = "background:#202124;padding:12px 24px;display:flex;gap:20px;" +
      "align-items:center;flex-wrap:wrap;font-family:inherit";
    const brand = document.createElement("span");
    brand.textContent = this._brand || "";
    brand.style.cssText = "color:white;font-weight:bold";
    bar.append(brand);
    for (const {url, label} of this._pages || []) {
      const current = url === this._current;
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.url = url;
      button.textContent = label; // text, never markup
      if (current) button.setAttribute("aria-current", "page");
      button.style.cssText = "background:none;border:0;padding:0 12px;height:40px;cursor:pointer;" +
        "font:inherit;font-size:14px;letter-spacing:0.01em;border-radius:4px;" +
        `color:${current ? "white" : "#c6dafc"};` +
        `text-decoration:${current ? "underline" : "none"};` +
        `font-weight:${current ? "bold" : "500"}`;
      bar.append(button);
    }
    this.replaceChildren(bar);
  }
}

customElements.get("page-nav") || customElements.define("page-nav", PageNav);
