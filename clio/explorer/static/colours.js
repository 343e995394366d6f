// Colours shared by the map and the tree. Map colours are packed RGBA in one uint32 (little-endian
// ABGR) so the rasteriser can write a pixel with one store.
"use strict";
const ClioColours = (() => {
  const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
                   "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6", "#d37295", "#8cd17d"];
  const NEUTRAL = [214, 214, 214], HIGH = [215, 48, 31], LOW = [44, 123, 182], MISSING = [236, 236, 236];

  function hexRgb(h) { return [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)); }
  function pack([r, g, b], a = 255) { return ((a << 24) | (b << 16) | (g << 8) | r) >>> 0; }
  function css([r, g, b]) { return `rgb(${r | 0}, ${g | 0}, ${b | 0})`; }
  function mix(a, b, t) { return a.map((v, i) => v + (b[i] - v) * t); }

  // Categorical colour of a top-level cluster, shaded per base cluster so neighbours differ a little.
  function category(topIndex, shade) {
    const rgb = hexRgb(PALETTE[topIndex % PALETTE.length]);
    return shade >= 0 ? mix(rgb, [255, 255, 255], shade * 0.35) : mix(rgb, [0, 0, 0], -shade * 0.3);
  }

  // Diverging scale for overlays: ratio 1 (same as the base rate) is grey, x4 and above full red,
  // x1/4 and below (or none at all) full blue; null (a hidden small count) is pale.
  function ratio(r) {
    if (r === null || r === undefined) return MISSING;
    const t = r <= 0 ? -1 : Math.max(-1, Math.min(1, Math.log2(r) / 2));
    return t >= 0 ? mix(NEUTRAL, HIGH, t) : mix(NEUTRAL, LOW, -t);
  }

  function rampCss() { return `linear-gradient(to right, ${css(LOW)}, ${css(NEUTRAL)}, ${css(HIGH)})`; }

  return { category, ratio, pack, css, mix, rampCss, hexRgb };
})();
