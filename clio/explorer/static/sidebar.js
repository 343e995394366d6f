// The sidebar for the selected cluster: description, breakdown by every facet, share over time,
// children, and (privileged mode only) example summaries. All text is set with textContent.
"use strict";
const ClioSidebar = (() => {
  const SVG = "http://www.w3.org/2000/svg";

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function pct(v) { return v === null || v === undefined ? "–" : `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`; }

  function header(body, node, tree, onSelect) {
    const crumbs = el("div", "crumbs");
    const path = [];
    for (let p = node.parent_id; p; p = tree.byId.get(p)?.parent_id) path.unshift(tree.byId.get(p));
    path.forEach((p) => {
      const a = el("a", "", p.name);
      a.addEventListener("click", () => onSelect(p.id));
      crumbs.append(a, document.createTextNode(" › "));
    });
    crumbs.append(document.createTextNode(`level ${node.level}`));
    body.append(crumbs, el("h2", "", node.name));
    body.append(el("div", "stats", `${node.size.toLocaleString("en-US")} conversations · ${pct(node.share)} of all on the map`));
    if (node.description) body.append(el("p", "description", node.description));
  }

  function overlayReadout(body, node, overlay, tree) {
    if (!overlay) return;
    const i = tree.index.get(node.id), p = overlay.prevalence[i], r = overlay.ratio[i];
    const label = `${overlay.facet} ${overlay.op === ">=" ? "≥" : "="} ${overlay.value}`;
    const text = p === null || p === undefined
      ? `${label}: withheld here (release thresholds)`
      : `${label}: ${pct(p)} here vs ${overlay.base_rate === null ? "(withheld)" : pct(overlay.base_rate)} overall (×${r === null ? "–" : r.toFixed(2)})`;
    body.append(el("div", "overlay-readout", text));
  }

  function children(body, node, tree, onSelect) {
    if (!node.children.length) return;
    body.append(el("h3", "", `Children (${node.children.length})`));
    const box = el("div", "children"), ul = el("ul");
    node.children.map((c) => tree.byId.get(c)).filter(Boolean).sort((a, b) => b.size - a.size).forEach((c) => {
      const li = el("li"), a = el("a", "", c.name);
      a.dataset.nodeId = c.id;
      a.addEventListener("click", () => onSelect(c.id));
      li.append(a, document.createTextNode(` · ${c.size.toLocaleString("en-US")} (${pct(c.size / node.size)})`));
      ul.append(li);
    });
    box.append(ul);
    body.append(box);
  }

  function breakdowns(body, detail, minCount, onOverlay) {
    if (!detail.breakdowns.length) return;
    body.append(el("h3", "", "Breakdowns"));
    for (const b of detail.breakdowns) {
      const sec = el("section", "breakdown");
      sec.dataset.facet = b.facet;
      sec.append(el("h4", "", b.facet));
      const table = el("table");
      for (const c of b.cells) {
        if (c.count === 0 && !c.base_share) continue;
        const tr = el("tr", c.count === null ? "hidden-cell" : "");
        tr.dataset.value = c.value;
        tr.title = `click: colour the map by ${b.facet} = ${c.value}; tick = share over the whole map (${pct(c.base_share)})`;
        const track = el("div", "track"), fill = el("div", "fill"), tick = el("div", "tick");
        fill.style.width = `${c.share === null ? 0 : Math.min(100, 100 * c.share)}%`;
        tick.style.left = `${Math.min(99, 100 * (c.base_share || 0))}%`;
        if (c.base_share === null) tick.style.display = "none";
        track.append(fill, tick);
        const bar = el("td");
        bar.append(track);
        tr.append(el("td", "value", c.value), bar, el("td", "count", c.count === null ? "withheld" : `${c.count} · ${pct(c.share)}`));
        tr.addEventListener("click", () => onOverlay(b.facet, "=", c.value));
        table.append(tr);
      }
      sec.append(table);
      if (b.hidden) sec.append(el("div", "note", `${b.hidden} value(s) withheld: fewer than ${minCount.conversations} conversations or ${minCount.accounts} accounts (or needed to keep one from being worked out)`));
      body.append(sec);
    }
  }

  function timeline(body, t, minCount) {
    if (!t || !t.points.length) return;
    const sec = el("section", "timeline");
    sec.append(el("h3", "", `Share of conversations per ${t.period}`));
    const W = 320, H = 120, L = 34, R = 8, T = 8, B = 20;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const max = Math.max(0.01, ...t.points.map((p) => p.share ?? 0));
    const xs = (i) => L + (t.points.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (t.points.length - 1));
    const ys = (v) => T + (1 - v / max) * (H - T - B);
    const add = (tag, attrs, text) => {
      const e = document.createElementNS(SVG, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      svg.append(e);
      return e;
    };
    add("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B });
    add("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B });
    add("text", { x: L - 3, y: T + 4, "text-anchor": "end" }, pct(max));
    add("text", { x: L - 3, y: H - B, "text-anchor": "end" }, "0%");
    add("text", { x: L, y: H - 5 }, t.points[0].t);
    if (t.points.length > 1) add("text", { x: W - R, y: H - 5, "text-anchor": "end" }, t.points[t.points.length - 1].t);
    // A hidden period (count under the threshold) breaks the line instead of being drawn as zero.
    let d = "", pen = false;
    t.points.forEach((p, i) => {
      if (p.share === null) { pen = false; return; }
      d += `${pen ? "L" : "M"}${xs(i).toFixed(1)},${ys(p.share).toFixed(1)}`;
      pen = true;
      const dot = add("circle", { class: "dot", cx: xs(i), cy: ys(p.share), r: 2.5 });
      const tip = document.createElementNS(SVG, "title");
      tip.textContent = `${p.t}: ${p.count} conversations, ${pct(p.share)} of that ${t.period}`;
      dot.append(tip);
    });
    add("path", { class: "line", d });
    sec.append(svg);
    const hidden = t.points.filter((p) => p.share === null).length;
    if (hidden) sec.append(el("div", "note", `${hidden} ${t.period}(s) withheld: fewer than ${minCount.conversations} conversations or ${minCount.accounts} accounts (or needed to keep one from being worked out)`));
    body.append(sec);
  }

  function traces(body, data) {
    const sec = el("section", "traces");
    sec.append(el("h3", "", `Traces (privileged mode): ${data.traces.length} example summaries`));
    const ul = el("ul");
    for (const t of data.traces) {
      const li = el("li");
      for (const f of data.text_facets) if (t[f]) li.append(el("div", "text", t[f]));
      const facets = Object.entries(t).filter(([k]) => !data.text_facets.includes(k)).map(([k, v]) => `${k}: ${v}`).join(" · ");
      li.append(el("div", "facets", facets));
      ul.append(li);
    }
    sec.append(ul);
    body.append(sec);
  }

  return { el, header, overlayReadout, children, breakdowns, timeline, traces };
})();
