// Wires the panes together: one state (selected cluster, overlay), three views (tree, map, sidebar).
"use strict";
(async function main() {
  const $ = (id) => document.getElementById(id);
  const banner = (text, info) => { const b = $("banner"); b.textContent = text; b.className = info ? "info" : ""; b.hidden = false; };
  const source = ClioData.open();
  let meta, points;
  try {
    [meta, points] = await Promise.all([source.meta(), source.points()]);
  } catch (err) {
    banner(`Could not load the run: ${err.message}`);
    return;
  }
  const tree = buildTree(meta, points.baseIds);
  const state = { selected: null, overlay: null };
  window.clio = { meta, tree, state }; // for tests and the console

  $("run-name").textContent = meta.run;
  $("run-stats").textContent = `${meta.total.toLocaleString("en-US")} conversations on the map · ${meta.nodes.length} clusters in ${meta.levels} levels · counts of fewer than ${meta.min_count} conversations or ${meta.min_accounts} accounts withheld`;
  if (meta.privileged) banner("PRIVILEGED MODE: per-conversation summaries (traces) are shown. Do not share this screen.");
  else if (meta.safety_mode) banner("Safety-mode run: aggregation thresholds were off when this run was made.");
  else if (!meta.has_breakdowns) banner("This run folder has no private/ facets: map and tree only, no breakdowns.", true);

  // ---- views
  const hover = $("hover-card");
  const map = new ClioMap($("map"), {
    onSelect: (id) => select(id),
    onHover: (id, sx, sy) => {
      if (!id) { hover.hidden = true; return; }
      const n = tree.byId.get(id);
      hover.textContent = "";
      hover.append(ClioSidebar.el("h4", "", n.name));
      if (n.description) hover.append(ClioSidebar.el("p", "", n.description));
      let line = `${n.size.toLocaleString("en-US")} conversations · ${(100 * n.share).toFixed(1)}% · level ${n.level}`;
      if (state.overlay) {
        const r = state.overlay.ratio[tree.index.get(id)];
        line += r === null || r === undefined ? " · overlay hidden (small count)" : ` · ×${r.toFixed(2)} the base rate`;
      }
      hover.append(ClioSidebar.el("div", "num", line));
      hover.dataset.nodeId = id;
      const panel = $("map-panel").getBoundingClientRect();
      hover.style.left = `${Math.min(sx + 14, panel.width - 330)}px`;
      hover.style.top = `${Math.min(sy + 14, panel.height - 120)}px`;
      hover.hidden = false;
    },
  });
  const treeView = new ClioTree($("tree"), $("tree-search"), { onSelect: (id) => select(id) });
  map.setData(points, tree);
  treeView.setNodes(tree);
  const topIds = tree.byLevel[tree.levelCounts.length - 1].map((n) => n.id);
  treeView.defaultColour = (id) => {
    let n = tree.byId.get(id);
    while (n.parent_id && tree.byId.has(n.parent_id)) n = tree.byId.get(n.parent_id);
    return ClioColours.css(ClioColours.category(Math.max(0, topIds.indexOf(n.id)), 0));
  };
  treeView.setOverlay(null);
  colourMap();
  Object.assign(window.clio, { map, treeView });
  $("zoom-in").addEventListener("click", () => map.zoomBy(2));
  $("zoom-out").addEventListener("click", () => map.zoomBy(0.5));
  $("zoom-fit").addEventListener("click", () => map.fit());

  // ---- overlay picker: facet, then "= value" or, for ordered facets, "≥ value"
  const facetSel = $("overlay-facet"), valueSel = $("overlay-value");
  for (const f of meta.facets) facetSel.append(new Option(f.name, f.name));
  function fillValues(facetName) {
    valueSel.textContent = "";
    const f = meta.facets.find((x) => x.name === facetName);
    valueSel.disabled = !f;
    if (!f) return null;
    f.values.forEach((v, j) => {
      valueSel.append(new Option(`= ${v}`, `=${v}`));
      if (f.ordered && j > 0) valueSel.append(new Option(`≥ ${v}`, `>=${v}`));
    });
    return f;
  }
  facetSel.addEventListener("change", () => {
    const f = fillValues(facetSel.value);
    setOverlay(f ? f.name : null, "=", f ? f.values[0] : null);
  });
  valueSel.addEventListener("change", () => {
    const m = /^(>=|=)(.*)$/s.exec(valueSel.value);
    if (m) setOverlay(facetSel.value, m[1], m[2]);
  });

  let overlaySeq = 0;
  async function setOverlay(facet, op, value) {
    const seq = ++overlaySeq;
    let overlay = null;
    if (facet) {
      try {
        overlay = await source.overlay(facet, op, value);
      } catch (err) {
        banner(`Overlay failed: ${err.message}`);
        return;
      }
      if (seq !== overlaySeq) return; // a newer choice won
      // Keep the picker in step when the overlay came from a click in a breakdown.
      if (facetSel.value !== facet || valueSel.disabled) { facetSel.value = facet; fillValues(facet); }
      valueSel.value = op + value;
    } else {
      facetSel.value = "";
      fillValues(null);
    }
    state.overlay = overlay;
    document.body.dataset.overlay = overlay ? `${facet}${op}${value}` : "";
    treeView.setOverlay(overlay);
    colourMap();
    legend();
    if (state.selected) showSidebar(state.selected);
  }

  function legend() {
    const box = $("overlay-legend");
    box.textContent = "";
    if (!state.overlay) return;
    const ramp = ClioSidebar.el("span", "ramp");
    ramp.style.background = ClioColours.rampCss();
    box.append(ClioSidebar.el("span", "", "×¼"), ramp, ClioSidebar.el("span", "", state.overlay.base_rate === null ? "×4 vs base rate (withheld)" : `×4 vs base rate ${(100 * state.overlay.base_rate).toFixed(1)}%`));
  }

  // Base-cluster colours: by top-level ancestor, or by the overlay ratio of each base cluster.
  function colourMap() {
    const top = tree.levelCounts.length - 1;
    const colours = tree.baseIds.map((id, b) => {
      if (state.overlay) return ClioColours.ratio(state.overlay.ratio[tree.index.get(id)]);
      const t = topIds.indexOf(tree.ancestorAt(b, top));
      return ClioColours.category(Math.max(0, t), ((b * 7919) % 11) / 10 - 0.5);
    });
    map.setColours(colours, state.overlay ? `overlay:${document.body.dataset.overlay}` : "cluster");
  }

  // ---- selection
  async function select(id) {
    if (!tree.byId.has(id)) return;
    state.selected = id;
    tree.setSelected(id);
    document.body.dataset.selected = id;
    treeView.select(id);
    map.setHighlight(tree.baseUnder(id));
    await showSidebar(id);
  }

  async function showSidebar(id) {
    const node = tree.byId.get(id);
    const body = $("sidebar-body");
    $("sidebar-empty").hidden = true;
    body.hidden = false;
    body.dataset.nodeId = id;
    body.dataset.loaded = "0";
    let detail = null, traces = null;
    try {
      detail = meta.has_breakdowns ? await source.cluster(id) : null;
      if (meta.privileged) traces = await source.traces(id);
    } catch (err) {
      banner(`Could not load ${id}: ${err.message}`);
    }
    if (state.selected !== id) return; // a later click won
    body.textContent = "";
    ClioSidebar.header(body, node, tree, select);
    ClioSidebar.overlayReadout(body, node, state.overlay, tree);
    ClioSidebar.children(body, node, tree, select);
    if (detail) {
      ClioSidebar.timeline(body, detail.timeline, { conversations: meta.min_count, accounts: meta.min_accounts });
      ClioSidebar.breakdowns(body, detail, { conversations: meta.min_count, accounts: meta.min_accounts }, (f, op, v) => setOverlay(f, op, v));
    }
    if (traces) ClioSidebar.traces(body, traces);
    body.dataset.loaded = "1";
  }

  document.body.dataset.ready = "1";
})();

// The hierarchy as the views need it: lookups by id and level, and which base clusters lie under a node.
function buildTree(meta, baseIds) {
  const nodes = meta.nodes;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const index = new Map(nodes.map((n, i) => [n.id, i]));
  const levels = meta.levels;
  const byLevel = Array.from({ length: levels }, () => []);
  for (const n of nodes) byLevel[n.level].push(n);
  const levelCounts = byLevel.map((l) => l.length);
  // anc[level][b]: the node at `level` above base cluster b (its highest ancestor if the chain stops early).
  const anc = Array.from({ length: levels }, () => new Array(baseIds.length));
  baseIds.forEach((id, b) => {
    let n = byId.get(id), last = id;
    for (let level = 0; level < levels; level++) {
      while (n && n.level < level && n.parent_id) n = byId.get(n.parent_id);
      if (n && n.level === level) last = n.id;
      anc[level][b] = last;
    }
  });
  const baseIndex = new Map(baseIds.map((id, b) => [id, b]));
  let selectedSet = new Set();
  const t = {
    nodes, byId, index, byLevel, levelCounts, baseIds, selectedId: null,
    minCount: meta.min_count,
    ancestorAt: (b, level) => anc[Math.min(level, levels - 1)][b],
    baseUnder(id) {
      const out = [];
      const walk = (nid) => {
        const n = byId.get(nid);
        if (!n) return;
        if (n.level === 0 && baseIndex.has(nid)) out.push(baseIndex.get(nid));
        n.children.forEach(walk);
      };
      walk(id);
      return out;
    },
    setSelected(id) {
      t.selectedId = id;
      selectedSet = new Set();
      const walk = (nid) => { selectedSet.add(nid); (byId.get(nid)?.children || []).forEach(walk); };
      walk(id);
      for (let p = byId.get(id)?.parent_id; p; p = byId.get(p)?.parent_id) selectedSet.add(p); // ancestors stay legible
    },
    isInSelection: (id) => selectedSet.has(id),
  };
  return t;
}
