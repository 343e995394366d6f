// The map: every conversation as a dot, cluster labels by zoom level, hover cards, pan and zoom.
//
// Why a pixel rasteriser on a 2-D canvas rather than WebGL: writing 100k dots straight into an
// ImageData buffer takes a few milliseconds, needs no GPU (headless browsers, remote desktops) and
// no shader code to maintain. Colours are looked up per base cluster, so an overlay or a selection
// recolours the whole map by changing one small table, not 100k entries.
"use strict";
class ClioMap {
  constructor(canvas, { onHover, onSelect }) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.onHover = onHover;
    this.onSelect = onSelect;
    this.view = { cx: 0, cy: 0, scale: 1 };
    this.fitScale = 1;
    this.frames = 0;
    this.dirty = false;
    this.highlight = null; // Uint8Array over base clusters: 1 = part of the selection
    this.colourKey = "cluster";
    this._bindEvents();
    new ResizeObserver(() => this._resize()).observe(canvas);
  }

  // points: {n, x, y, base}; tree: the app's node index (see app.js) for labels and hover cards.
  setData(points, tree) {
    this.p = points;
    this.tree = tree;
    this.baseColour = new Uint32Array(tree.baseIds.length);
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let i = 0; i < points.n; i++) {
      const x = points.x[i], y = points.y[i];
      if (x < minX) minX = x; if (x > maxX) maxX = x;
      if (y < minY) minY = y; if (y > maxY) maxY = y;
    }
    if (!points.n) { minX = minY = -1; maxX = maxY = 1; }
    this.bounds = { minX, maxX, minY, maxY };
    this._buildGrid();
    this._resize();
    this.fit();
  }

  // colours: array of [r, g, b] per base cluster; key names the colouring (cluster or overlay).
  setColours(colours, key) {
    this.rgb = colours;
    this.colourKey = key;
    this._pack();
  }

  setHighlight(baseIndices) {
    if (!baseIndices) this.highlight = null;
    else {
      this.highlight = new Uint8Array(this.tree.baseIds.length);
      for (const b of baseIndices) this.highlight[b] = 1;
    }
    this._pack();
  }

  _pack() {
    if (!this.rgb) return;
    const fade = [251, 251, 252];
    for (let b = 0; b < this.rgb.length; b++) {
      const dim = this.highlight && !this.highlight[b];
      this.baseColour[b] = ClioColours.pack(dim ? ClioColours.mix(this.rgb[b], fade, 0.82) : this.rgb[b]);
    }
    this.request();
  }

  // ---- view
  fit() {
    const { minX, maxX, minY, maxY } = this.bounds;
    const w = this.canvas.clientWidth || 1, h = this.canvas.clientHeight || 1;
    const span = Math.max((maxX - minX) / w, (maxY - minY) / h, 1e-9);
    this.fitScale = 0.8 / span; // margin for the labels at the edges
    this.view = { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, scale: this.fitScale };
    this.request();
  }
  zoomBy(factor, sx, sy) {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (sx === undefined) { sx = w / 2; sy = h / 2; }
    const [dx, dy] = this.toData(sx, sy);
    const scale = Math.min(Math.max(this.view.scale * factor, this.fitScale / 4), this.fitScale * 4096);
    // Keep the data point under the cursor where it is.
    this.view.scale = scale;
    this.view.cx = dx - (sx - w / 2) / scale;
    this.view.cy = dy + (sy - h / 2) / scale;
    this.request();
  }
  get zoom() { return this.view.scale / this.fitScale; }
  toData(sx, sy) {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    return [this.view.cx + (sx - w / 2) / this.view.scale, this.view.cy - (sy - h / 2) / this.view.scale];
  }
  toScreen(x, y) {
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    return [(x - this.view.cx) * this.view.scale + w / 2, h / 2 - (y - this.view.cy) * this.view.scale];
  }

  // Which level's labels to show, following the hierarchy: the top level when zoomed out, one level
  // deeper per x2.5 of zoom, and deeper still only if that would not crowd the screen.
  labelLevel() {
    const counts = this.tree.levelCounts, top = counts.length - 1;
    // One level deeper per x2.5 of zoom...
    const byZoom = top - Math.floor(Math.log(Math.max(1, this.zoom)) / Math.log(2.5));
    // ...but never a level so crowded that more than ~25 of its labels would be on screen.
    const visibleShare = 1 / (this.zoom * this.zoom);
    let byDensity = top;
    for (let level = 0; level <= top; level++) {
      if (counts[level] * visibleShare <= 25) { byDensity = level; break; }
    }
    return Math.min(top, Math.max(0, byZoom, byDensity));
  }

  request() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => { this.dirty = false; this.render(); });
  }

  _resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr)), h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      const first = this.canvas.width <= 300 && this.bounds;
      this.canvas.width = w;
      this.canvas.height = h;
      this.image = null;
      if (first) this.fit();
    }
    this.request();
  }

  render() {
    if (!this.p) return;
    const t0 = performance.now();
    const W = this.canvas.width, H = this.canvas.height, dpr = W / Math.max(1, this.canvas.clientWidth);
    if (!this.image || this.image.width !== W || this.image.height !== H) {
      this.image = this.ctx.createImageData(W, H);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    const px = this.pixels;
    px.fill(ClioColours.pack([251, 251, 252]));
    const k = this.view.scale * dpr, ox = W / 2 - this.view.cx * k, oy = H / 2 + this.view.cy * k;
    // Dots grow as you zoom in, and are larger when there are few of them.
    const baseSize = this.p.n < 2000 ? 7 : this.p.n < 30000 ? 3 : 2;
    const size = Math.max(1, Math.min(10, Math.round(baseSize * dpr * Math.sqrt(Math.max(1, this.zoom)) * 0.8)));
    const { x, y, base, n } = this.p, colour = this.baseColour, hl = this.highlight;
    // Two passes when something is selected, so the selection is drawn on top of the faded rest.
    for (let pass = hl ? 0 : 1; pass < 2; pass++) {
      for (let i = 0; i < n; i++) {
        const b = base[i];
        if (hl && (hl[b] === 1) !== (pass === 1)) continue;
        const sx = (x[i] * k + ox) | 0, sy = (oy - y[i] * k) | 0;
        if (sx < 0 || sy < 0 || sx + size > W || sy + size > H) continue;
        const c = colour[b];
        for (let r = 0, row = sy * W + sx; r < size; r++, row += W) {
          for (let q = 0; q < size; q++) px[row + q] = c;
        }
      }
    }
    this.ctx.putImageData(this.image, 0, 0);
    this._labels(dpr);
    this.frames++;
    this.lastRenderMs = performance.now() - t0;
    const d = this.canvas.dataset;
    d.frames = String(this.frames);
    d.colourKey = this.colourKey;
    d.labelLevel = String(this.currentLevel);
    d.renderMs = this.lastRenderMs.toFixed(1);
    d.ready = "1";
    document.getElementById("map-level").textContent =
      `labels: level ${this.currentLevel} of ${this.tree.levelCounts.length - 1} · zoom ×${this.zoom.toFixed(1)} · ${n.toLocaleString("en-US")} conversations`;
  }

  _labels(dpr) {
    const ctx = this.ctx, level = this.labelLevel();
    this.currentLevel = level;
    const nodes = this.tree.byLevel[level].filter((n) => n.x !== null).sort((a, b) => b.size - a.size);
    const placed = [];
    ctx.save();
    ctx.scale(dpr, dpr);
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    this.visibleLabels = [];
    for (const node of nodes) {
      const [sx, sy] = this.toScreen(node.x, node.y);
      if (sx < -50 || sy < -20 || sx > w + 50 || sy > h + 20) continue;
      const selected = this.highlight && this.tree.selectedId === node.id;
      ctx.font = `${selected ? 700 : 600} ${level === this.tree.levelCounts.length - 1 ? 14 : 12}px system-ui, sans-serif`;
      const text = node.name.length > 42 ? node.name.slice(0, 40) + "…" : node.name;
      const tw = ctx.measureText(text).width, box = [sx - tw / 2 - 3, sy - 9, sx + tw / 2 + 3, sy + 9];
      // Greedy placement, biggest clusters first: a label that would overlap a placed one is skipped.
      if (placed.some((o) => box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1])) continue;
      placed.push(box);
      ctx.lineWidth = 4;
      ctx.strokeStyle = "rgba(255,255,255,0.92)";
      ctx.strokeText(text, sx, sy);
      ctx.fillStyle = this.highlight && !selected && !this.tree.isInSelection(node.id) ? "#8a90a0" : "#1d2230";
      ctx.fillText(text, sx, sy);
      this.visibleLabels.push({ id: node.id, box });
    }
    ctx.restore();
  }

  // ---- hover and click: nearest dot through a uniform grid over the data bounds
  _buildGrid() {
    const { minX, maxX, minY, maxY } = this.bounds, n = this.p.n;
    const G = Math.max(8, Math.min(512, Math.round(Math.sqrt(n / 4))));
    const cw = (maxX - minX) / G || 1, ch = (maxY - minY) / G || 1;
    const cell = new Uint32Array(n), counts = new Uint32Array(G * G + 1);
    for (let i = 0; i < n; i++) {
      const gx = Math.min(G - 1, ((this.p.x[i] - minX) / cw) | 0), gy = Math.min(G - 1, ((this.p.y[i] - minY) / ch) | 0);
      cell[i] = gy * G + gx;
      counts[cell[i] + 1]++;
    }
    for (let c = 0; c < G * G; c++) counts[c + 1] += counts[c];
    const order = new Uint32Array(n), fill = counts.slice(0, G * G);
    for (let i = 0; i < n; i++) order[fill[cell[i]]++] = i;
    this.grid = { G, cw, ch, start: counts, order };
  }

  nearest(sx, sy, radiusPx = 10) {
    if (!this.grid || !this.p.n) return -1;
    const [dx, dy] = this.toData(sx, sy), r = radiusPx / this.view.scale;
    const { G, cw, ch, start, order } = this.grid, { minX, minY } = this.bounds;
    const gx0 = Math.max(0, Math.floor((dx - r - minX) / cw)), gx1 = Math.min(G - 1, Math.floor((dx + r - minX) / cw));
    const gy0 = Math.max(0, Math.floor((dy - r - minY) / ch)), gy1 = Math.min(G - 1, Math.floor((dy + r - minY) / ch));
    let best = -1, bestD = r * r;
    for (let gy = gy0; gy <= gy1; gy++) {
      for (let gx = gx0; gx <= gx1; gx++) {
        const c = gy * G + gx;
        for (let j = start[c]; j < start[c + 1]; j++) {
          const i = order[j], ex = this.p.x[i] - dx, ey = this.p.y[i] - dy, d = ex * ex + ey * ey;
          if (d <= bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }

  // The node under the cursor at the level whose labels are showing: a label, else the nearest dot.
  nodeAt(sx, sy) {
    for (const l of this.visibleLabels || []) {
      if (sx >= l.box[0] && sx <= l.box[2] && sy >= l.box[1] && sy <= l.box[3]) return l.id;
    }
    const i = this.nearest(sx, sy);
    return i < 0 ? null : this.tree.ancestorAt(this.p.base[i], this.currentLevel ?? 0);
  }

  _bindEvents() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY, cx: this.view.cx, cy: this.view.cy, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener("pointermove", (e) => {
      const rect = c.getBoundingClientRect(), sx = e.clientX - rect.left, sy = e.clientY - rect.top;
      if (drag) {
        const ddx = e.clientX - drag.x, ddy = e.clientY - drag.y;
        if (Math.abs(ddx) + Math.abs(ddy) > 3) { drag.moved = true; c.classList.add("dragging"); }
        this.view.cx = drag.cx - ddx / this.view.scale;
        this.view.cy = drag.cy + ddy / this.view.scale;
        this.request();
        return;
      }
      this.onHover(this.nodeAt(sx, sy), sx, sy);
    });
    c.addEventListener("pointerup", (e) => {
      const rect = c.getBoundingClientRect();
      if (drag && !drag.moved) {
        const id = this.nodeAt(e.clientX - rect.left, e.clientY - rect.top);
        if (id) this.onSelect(id);
      }
      drag = null;
      c.classList.remove("dragging");
    });
    c.addEventListener("pointerleave", () => this.onHover(null));
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      const rect = c.getBoundingClientRect();
      this.zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false });
  }
}
