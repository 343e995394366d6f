// The tree: every level of the hierarchy with sizes and shares, expand/collapse, search by name.
// Names come from a model that read user conversations: they are only ever set as textContent.
"use strict";
class ClioTree {
  constructor(container, search, { onSelect }) {
    this.el = container;
    this.search = search;
    this.onSelect = onSelect;
    this.rows = new Map();
    search.addEventListener("input", () => this.filter(search.value));
  }

  setNodes(tree) {
    this.tree = tree;
    this.el.textContent = "";
    const roots = tree.nodes.filter((n) => !n.parent_id).sort((a, b) => b.size - a.size);
    for (const root of roots) this.el.appendChild(this._node(root, 0));
  }

  _node(node, depth) {
    const wrap = document.createElement("div");
    wrap.className = "node" + (depth >= 1 ? " collapsed" : "");
    wrap.dataset.nodeId = node.id;
    wrap.dataset.level = node.level;
    wrap.setAttribute("role", "treeitem");
    const row = document.createElement("div");
    row.className = "row";
    const twisty = document.createElement("button");
    twisty.className = "twisty";
    const kids = node.children.map((c) => this.tree.byId.get(c)).filter(Boolean).sort((a, b) => b.size - a.size);
    twisty.textContent = kids.length ? (depth >= 1 ? "▸" : "▾") : "";
    twisty.addEventListener("click", (e) => { e.stopPropagation(); this.toggle(wrap); });
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = node.name;
    name.title = node.name;
    const num = document.createElement("span");
    num.className = "num";
    num.textContent = `${node.size.toLocaleString("en-US")} · ${(100 * node.share).toFixed(1)}%`;
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("i");
    fill.style.width = `${Math.max(1, 100 * node.share).toFixed(1)}%`;
    bar.appendChild(fill);
    row.append(twisty, swatch, name, num, bar);
    row.addEventListener("click", () => this.onSelect(node.id));
    wrap.appendChild(row);
    if (kids.length) {
      const children = document.createElement("div");
      children.className = "children";
      for (const k of kids) children.appendChild(this._node(k, depth + 1));
      wrap.appendChild(children);
    }
    this.rows.set(node.id, { wrap, twisty, swatch, num, node });
    return wrap;
  }

  toggle(wrap, open) {
    const collapsed = open === undefined ? !wrap.classList.contains("collapsed") : !open;
    wrap.classList.toggle("collapsed", collapsed);
    const r = this.rows.get(wrap.dataset.nodeId);
    if (r && r.twisty.textContent) r.twisty.textContent = collapsed ? "▸" : "▾";
  }

  select(id) {
    for (const r of this.rows.values()) r.wrap.classList.remove("selected");
    const r = this.rows.get(id);
    if (!r) return;
    r.wrap.classList.add("selected");
    // Open every ancestor so the selected row is visible, then bring it into view.
    for (let p = r.node.parent_id; p; p = this.tree.byId.get(p)?.parent_id) {
      const pr = this.rows.get(p);
      if (pr) this.toggle(pr.wrap, true);
    }
    r.wrap.querySelector(".row").scrollIntoView({ block: "nearest" });
  }

  // Overlay: each row's swatch takes the colour of its ratio to the base rate; null clears it.
  setOverlay(overlay) {
    for (const [id, r] of this.rows) {
      if (!overlay) {
        r.swatch.style.background = this.defaultColour ? this.defaultColour(id) : "";
        delete r.wrap.dataset.ratio;
        r.swatch.title = "";
        continue;
      }
      const ratio = overlay.ratio[this.tree.index.get(id)];
      r.swatch.style.background = ClioColours.css(ClioColours.ratio(ratio));
      r.wrap.dataset.ratio = ratio === null || ratio === undefined ? "hidden" : String(ratio);
      r.swatch.title = ratio === null || ratio === undefined ? "count under the aggregation threshold" : `×${ratio.toFixed(2)} the base rate`;
    }
  }

  // Search: show matching nodes with their ancestors (opened); an empty query shows everything.
  filter(query) {
    const q = query.trim().toLowerCase();
    const keep = new Set();
    for (const [id, r] of this.rows) {
      const hit = q && r.node.name.toLowerCase().includes(q);
      r.wrap.classList.toggle("match", Boolean(hit));
      if (hit) {
        keep.add(id);
        for (let p = r.node.parent_id; p; p = this.tree.byId.get(p)?.parent_id) keep.add(p);
      }
    }
    for (const [id, r] of this.rows) {
      r.wrap.classList.toggle("filtered", Boolean(q) && !keep.has(id));
      if (q && keep.has(id) && r.node.children.length) this.toggle(r.wrap, r.node.children.some((c) => keep.has(c)));
    }
  }
}
