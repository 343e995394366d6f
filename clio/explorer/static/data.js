// Where the explorer's data comes from.
// - ServerSource: `clio explore`; fetches the map once and each cluster's breakdowns when selected.
// - BundleSource: `clio export`; everything was precomputed into <script id="clio-bundle">.
// Both hand out the same shapes, so the rest of the app does not know which one it has.
"use strict";
const ClioData = (() => {
  function decode(b64, Type) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Type(bytes.buffer);
  }

  function decodePoints(p) {
    return {
      n: p.n,
      x: decode(p.x, Float32Array),
      y: decode(p.y, Float32Array),
      base: decode(p.base, p.base_dtype === "uint32" ? Uint32Array : Uint16Array),
      baseIds: p.base_ids,
    };
  }

  class ServerSource {
    constructor(token) {
      this.token = token;
      this.cache = new Map();
    }
    async get(path) {
      if (this.cache.has(path)) return this.cache.get(path);
      const headers = this.token ? { "X-Clio-Token": this.token } : {};
      const promise = fetch(path, { headers }).then(async (r) => {
        if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
        return r.json();
      });
      this.cache.set(path, promise);
      promise.catch(() => this.cache.delete(path));
      return promise;
    }
    meta() { return this.get("api/meta"); }
    async points() { return decodePoints(await this.get("api/points")); }
    cluster(id) { return this.get("api/cluster/" + encodeURIComponent(id)); }
    overlay(facet, op, value) {
      const q = new URLSearchParams({ facet, op, value });
      return this.get("api/overlay?" + q.toString());
    }
    traces(id) { return this.get("api/traces/" + encodeURIComponent(id)); }
  }

  class BundleSource {
    constructor(bundle) { this.b = bundle; }
    async meta() { return this.b.meta; }
    async points() { return decodePoints(this.b.points); }
    async cluster(id) { return this.b.clusters[id]; }
    async overlay(facet, op, value) { return this.b.overlays[facet + op + value]; }
    async traces() { throw new Error("an exported file never contains traces"); }
  }

  function open() {
    const el = document.getElementById("clio-bundle");
    if (el) return new BundleSource(JSON.parse(el.textContent));
    const params = new URLSearchParams(location.search);
    const token = params.get("token");
    // Keep the token out of the address bar, history and screenshots once it is read.
    if (token) history.replaceState(null, "", location.pathname);
    return new ServerSource(token);
  }

  return { open, decodePoints };
})();
