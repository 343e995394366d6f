import re
import zlib

import numpy as np
import pytest

from clio.errors import ConfigError
from clio.hierarchy import Hierarchy, build_hierarchy, level_range, parse_name_list, plan_level_sizes, resolve_choice
from clio.llm.backends import FakeBackend
from clio.llm.gateway import LLMGateway
from clio.naming import ClusterName

# Topic keyword -> broader group; the fake model names things with these words so that it can
# answer every step "plausibly" from what the prompt shows it.
GROUP = {"python": "software", "database": "software", "cooking": "household", "garden": "household", "travel": "leisure", "music": "leisure", "poetry": "writing", "essay": "writing"}


def crc(text):
    return zlib.crc32(text.encode())


def embed(texts):
    """Bag of hashed words: texts sharing words are close, like a sentence embedder would put them."""
    out = np.zeros((len(texts), 64))
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z]+", text.lower()):
            out[row] += np.random.default_rng(crc(word)).normal(size=64) * (3.0 if word in GROUP or word in GROUP.values() else 1.0)
    return out + 1e-6


def topics_in(text):
    return [t for t in GROUP if t in text.lower()]


def groups_in(text):
    found = [g for g in dict.fromkeys(GROUP.values()) if g in text.lower()]
    return found or [GROUP[t] for t in topics_in(text)]


def section(prompt, tag):
    body = re.search(rf"<{tag}>(.*?)</{tag}>", prompt.messages[-1].content, re.S)
    return [line[2:].strip() for line in body.group(1).strip().splitlines()] if body else []


def fake_model(prompt):
    text = prompt.messages[-1].content
    if prompt.name in ("hierarchy_propose", "hierarchy_dedupe"):
        items = section(prompt, "cluster_list" if prompt.name == "hierarchy_propose" else "cluster_names")
        desired = int(re.search(r"about\s+(\d+)", text).group(1))
        topics = list(dict.fromkeys(t for item in items for t in topics_in(item)))
        if len(topics) > desired or not topics:  # asked for fewer: go one step broader
            names = [f"Handle {g} matters" for g in dict.fromkeys(g for item in items for g in groups_in(item))]
        else:
            names = [f"Assist with {t} requests" for t in topics]
        return "\n" + "\n".join(f"{i}. {n}" for i, n in enumerate(names, 1)) + "\n</answer>"
    if prompt.name == "hierarchy_assign":
        parents = section(prompt, "higher_level_clusters")
        child = re.search(r"Name: (.*)", text).group(1)
        wanted = topics_in(child) + groups_in(child)
        pick = next((p for w in wanted for p in parents if w in p.lower()), parents[0])
        roll = crc(child) % 10
        if roll == 0:
            pick = pick[:5] + pick[6:]  # a typo: resolved by closest match
        elif roll == 1:
            pick = f"The best fit is {pick}."  # chatter around the name
        return pick + "</answer>"
    if prompt.name == "hierarchy_rename":
        kids = section(prompt, "answers")
        topics = list(dict.fromkeys(t for k in kids for t in topics_in(k)))
        groups = list(dict.fromkeys(g for k in kids for g in groups_in(k)))
        name = f"Assist with {topics[0]} requests" if len(topics) == 1 else f"Handle {groups[0]} matters"
        return f" Users asked for help with {len(kids)} related things. They wanted practical answers.</summary>\n<name>{name}</name>"
    raise AssertionError(prompt.name)


def base_clusters(n=60, seed=0):
    rng = np.random.default_rng(seed)
    topics = list(GROUP)
    out = []
    for i in range(n):
        topic = topics[i % len(topics)]
        verb = ["Fix", "Plan", "Explain", "Improve", "Compare"][int(rng.integers(5))]
        out.append(ClusterName(cluster_id=i, name=f"{verb} {topic} questions variant {i}", description=f"Users asked about {topic} issue {i}.", size=int(rng.integers(1, 50))))
    return out


def gateway(responder=fake_model, **kw):
    return LLMGateway(FakeBackend(responder), None, show_progress=False, **kw)


def check_invariants(h: Hierarchy, base_total: int):
    index = {n.id: n for n in h.nodes}
    levels = h.levels()
    for level, nodes in enumerate(levels):
        assert nodes, f"level {level} is empty"
        assert sum(n.size for n in nodes) == base_total, f"sizes do not add up at level {level}"
        for n in nodes:
            if level < len(levels) - 1:
                parent = index[n.parent_id]  # exactly one parent, one level up, that lists it
                assert parent.level == level + 1 and n.id in parent.children
            else:
                assert n.parent_id is None
            if level > 0:
                assert n.children and n.size == sum(index[c].size for c in n.children)
                assert all(index[c].parent_id == n.id for c in n.children)
    listed = [c for n in h.nodes for c in n.children]
    assert len(listed) == len(set(listed)) == sum(len(lv) for lv in levels[:-1])


@pytest.fixture(scope="module")
def built():
    base = base_clusters()
    backend = FakeBackend(fake_model)
    h = build_hierarchy(base, embed, LLMGateway(backend, None, show_progress=False), top_k=3, levels=3, neighbourhood_size=20, random_state=0)
    return base, h, backend


def test_invariants_on_60_clusters(built):
    base, h, _ = built
    assert h.depth == 3
    check_invariants(h, sum(b.size for b in base))
    assert h.planned_sizes == [60, 13, 3]
    for level in (1, 2):
        low, high = level_range(h.planned_sizes[level], len(h.levels()[level - 1]))
        assert low <= len(h.levels()[level]) <= high
    assert len(h.top()) <= int(1.5 * 3)


def test_assignments_are_resolved_and_recorded(built):
    _, h, backend = built
    counts = h.assignment_counts()
    assert counts.get("fuzzy", 0) > 0 and counts.get("contains", 0) > 0 and counts.get("exact", 0) > 0
    assert sum(counts.values()) == sum(len(lv) for lv in h.levels()[:-1])  # every child, no silent drop
    # the fake assigns by topic, so each level-1 parent holds a single topic
    for node in h.levels()[1]:
        kids = {GROUP_KEY for c in node.children for GROUP_KEY in [next(t for t in GROUP if t in h.node(c).name.lower())]}
        assert len(kids) == 1, (node.name, kids)
    # parent lists were shuffled per child
    orders = [tuple(section(p, "higher_level_clusters")) for p in backend.calls if p.name == "hierarchy_assign"]
    assert len(set(orders)) > 1


def test_neighbourhoods_see_nearby_outside_clusters(built):
    _, _, backend = built
    proposals = [p for p in backend.calls if p.name == "hierarchy_propose"]
    level1 = [p for p in proposals if "variant" in p.messages[-1].content]
    assert len(level1) == 3  # 60 clusters / neighbourhood_size 20
    for p in level1:
        inside, outside = section(p, "cluster_list"), section(p, "nearby_clusters")
        assert len(outside) == 10 and not set(outside) & {i.split(":")[0] for i in inside}
    assert sum(len(section(p, "cluster_list")) for p in level1) == 60
    assert any(p.name == "hierarchy_dedupe" for p in backend.calls)


def test_deterministic_with_random_state(built):
    base, h, _ = built
    again = build_hierarchy(base, embed, gateway(), top_k=3, levels=3, neighbourhood_size=20, random_state=0)
    assert again.to_frame().equals(h.to_frame())


def test_tree_and_frame(built):
    base, h, _ = built
    tree = h.render_tree()
    total = sum(b.size for b in base)
    assert tree.count("\n") + 1 == len(h.nodes)
    assert sum(int(re.search(r"\(([\d,]+)\)$", line).group(1).replace(",", "")) for line in tree.splitlines() if not line.startswith((" ", "│", "├", "└"))) == total
    assert len(h.render_tree(max_depth=1).splitlines()) == len(h.top())
    frame = h.to_frame()
    assert len(frame) == len(h.nodes) and {"id", "level", "name", "size", "parent_id", "assignment"} <= set(frame.columns)
    top = h.top()[0]
    assert [c.id for c in h.children(top.id)] == top.children
    leaf = h.levels()[0][0]
    assert [a.level for a in h.ancestors(leaf.id)] == [1, 2]


def test_few_base_clusters_still_give_three_levels():
    base = base_clusters(12, seed=1)
    h = build_hierarchy(base, embed, gateway(), top_k=10, levels=3, random_state=1)
    assert h.depth == 3 and h.planned_sizes == [12, 11, 10]
    check_invariants(h, sum(b.size for b in base))
    h2 = build_hierarchy(base, embed, gateway(), top_k=2, levels=3, random_state=1)
    assert h2.depth == 3 and len(h2.top()) <= 3
    check_invariants(h2, sum(b.size for b in base))


def test_failed_calls_are_recorded_not_dropped():
    def flaky(prompt):
        if prompt.name == "hierarchy_assign" and re.search(r"variant 3\b", prompt.messages[-1].content):
            return "</answer>"  # empty: the gateway gives up, we fall back to embeddings
        if prompt.name == "hierarchy_rename":
            return "nope"
        if prompt.name == "hierarchy_propose" and "variant 0" in prompt.messages[-1].content:
            return "</answer>"
        return fake_model(prompt)

    base = base_clusters(24)
    h = build_hierarchy(base, embed, gateway(flaky, max_reasks=0), top_k=4, levels=2, neighbourhood_size=12, random_state=0)
    check_invariants(h, sum(b.size for b in base))
    failed = h.node("0-3")
    assert failed.assignment == "fallback" and failed.error.startswith("assign:")
    assert all(n.error and n.error.startswith("rename:") and n.description == "" for n in h.top())
    assert any("propose failed" in note for note in h.notes)


def test_unresolvable_reply_is_matched_by_embedding():
    def vague(prompt):
        if prompt.name == "hierarchy_assign":
            child = re.search(r"Name: (.*)", prompt.messages[-1].content).group(1)
            return f"something about {topics_in(child)[0]}</answer>"
        return fake_model(prompt)

    base = base_clusters(16)
    h = build_hierarchy(base, embed, gateway(vague), top_k=8, levels=2, random_state=0)
    check_invariants(h, sum(b.size for b in base))
    assert set(h.assignment_counts()) == {"embedding"}


def test_large_candidate_lists_are_deduplicated_in_chunks():
    backend = FakeBackend(fake_model)
    base = base_clusters(40)
    h = build_hierarchy(base, embed, LLMGateway(backend, None, show_progress=False), top_k=8, levels=2, neighbourhood_size=5, dedupe_max_names=6, random_state=0)
    check_invariants(h, sum(b.size for b in base))
    assert sum(p.name == "hierarchy_dedupe" for p in backend.calls) >= 2


def test_levels_none_stops_at_top_k():
    base = base_clusters(60)
    h = build_hierarchy(base, embed, gateway(), top_k=8, neighbourhood_size=30, random_state=0)
    assert h.planned_sizes == [60, 8] and h.depth == 2 and len(h.top()) <= 12
    small = build_hierarchy(base_clusters(6), embed, gateway(), top_k=10, random_state=0)
    assert small.depth == 1 and len(small.top()) == 6


def test_plan_level_sizes():
    assert plan_level_sizes(300, 10) == [300, 55, 10]
    assert plan_level_sizes(1000, 10, levels=3) == [1000, 100, 10]
    assert plan_level_sizes(12, 3, levels=3) == [12, 6, 3]
    assert plan_level_sizes(12, 20, levels=3) == [12, 6, 3]  # top_k too big: halve per level
    assert plan_level_sizes(2, 5, levels=3) == [2, 1, 1]
    assert plan_level_sizes(5, 10) == [5]
    with pytest.raises(ConfigError):
        plan_level_sizes(10, 0)
    with pytest.raises(ConfigError):
        plan_level_sizes(10, 2, levels=0)


def test_reply_parsing_helpers():
    assert parse_name_list("\n1. Cook meals\n2. Write Python 3 scripts.\n") == ["Cook meals", "Write Python 3 scripts"]
    assert parse_name_list("1. A things 2. B things 3. A things") == ["A things", "B things"]
    options = ["Cook meals", "Write code"]
    assert resolve_choice("<cluster> cook meals. </cluster>", options) == (0, "exact")
    assert resolve_choice("Wrte code", options) == (1, "fuzzy")
    assert resolve_choice("Best fit: Write code", options) == (1, "contains")
    assert resolve_choice("gardening", options) == (None, "unresolved")


def test_base_records_may_be_dicts():
    base = [{"id": f"c{i}", "name": f"Fix python bug {i}" if i % 2 else f"Bake cooking bread {i}", "description": "", "size": 2} for i in range(8)]
    h = build_hierarchy(base, embed, gateway(), top_k=2, levels=2, random_state=0)
    check_invariants(h, 16)
    assert {n.id for n in h.levels()[0]} == {f"0-c{i}" for i in range(8)}
    with pytest.raises(ConfigError, match="needs id"):
        build_hierarchy([{"name": "x"}], embed, gateway(), top_k=1)


def test_requested_levels_survive_a_model_that_proposes_a_single_parent():
    def one_parent(prompt):
        if prompt.name in ("hierarchy_propose", "hierarchy_dedupe"):
            return "1. Help with everything</answer>"
        if prompt.name == "hierarchy_assign":
            options = section(prompt, "higher_level_clusters")
            child = re.search(r"Name: (.*)", prompt.messages[-1].content).group(1)
            return options[crc(child) % len(options)] + "</answer>"
        if prompt.name == "hierarchy_rename":
            return " Users asked for several things. They got answers.</summary>\n<name>Assist with mixed requests</name>"
        raise AssertionError(prompt.name)

    base = base_clusters(n=4)
    gateway = LLMGateway(FakeBackend(one_parent), None, show_progress=False)
    tree = build_hierarchy(base, embed, gateway, top_k=1, levels=3, random_state=0)
    assert [len(level) for level in tree.levels()][:2] == [4, 2] and tree.depth >= 3
    assert any("seeded" in note for note in tree.notes)


def test_a_single_parent_takes_every_child_without_asking():
    """One parent name leaves nothing to choose: no assignment call, each child recorded as `only`."""
    backend = FakeBackend(fake_model)
    base = base_clusters(n=3)
    tree = build_hierarchy(base, embed, LLMGateway(backend, None, show_progress=False), top_k=1, levels=2, random_state=0)
    check_invariants(tree, sum(b.size for b in base))
    assert [len(level) for level in tree.levels()] == [3, 1]
    assert {n.assignment for n in tree.levels()[0]} == {"only"}
    asked = [prompt.name for prompt in backend.calls]
    assert "hierarchy_rename" in asked and "hierarchy_assign" not in asked


def test_requested_levels_survive_a_model_that_assigns_every_child_to_one_parent():
    """Two parents proposed, but the model puts every child under the first: with levels requested,
    the empty parent gets the child closest to it by meaning, so the next level has two to group."""

    def one_sided(prompt):
        if prompt.name in ("hierarchy_propose", "hierarchy_dedupe"):
            return "1. Assist with python requests\n2. Assist with cooking requests</answer>"
        if prompt.name == "hierarchy_assign":
            return section(prompt, "higher_level_clusters")[0] + "</answer>"
        if prompt.name == "hierarchy_rename":
            return fake_model(prompt)
        raise AssertionError(prompt.name)

    base = [ClusterName(cluster_id=i, name=name, description="", size=size) for i, (name, size) in enumerate([("Fix python imports", 4), ("Debug python tests", 3), ("Plan cooking dinner", 5)])]
    tree = build_hierarchy(base, embed, gateway(one_sided), top_k=1, levels=3, random_state=0)
    check_invariants(tree, 12)
    assert [len(level) for level in tree.levels()] == [3, 2, 1]
    moved = [n for n in tree.levels()[0] if n.assignment == "rebalanced"]
    assert [n.name for n in moved] == ["Plan cooking dinner"]
    assert any("moved 1 child" in note for note in tree.notes)


def test_a_parent_of_one_child_takes_its_name_without_a_rename_call():
    """test_few_base_clusters...: 12 base clusters and 11 parents, so most parents have one child."""
    base = base_clusters(12, seed=1)
    backend = FakeBackend(fake_model)
    h = build_hierarchy(base, embed, LLMGateway(backend, None, show_progress=False), top_k=10, levels=3, random_state=1)
    index = {n.id: n for n in h.nodes}
    parents = [n for n in h.nodes if n.level > 0]
    single = [p for p in parents if len(p.children) == 1]
    assert single, "the plan should leave some parents with one child"
    for p in single:
        child = index[p.children[0]]
        assert (p.name, p.description) == (child.name, child.description)
    renames = sum(c.name == "hierarchy_rename" for c in backend.calls)
    assert renames == len(parents) - len(single)


# --------------------------------------------------------------------------- the plan the estimator uses


def obedient_model():
    """Lists exactly the number of names asked for and spreads the children evenly over the
    parents: the assumptions of `Hierarchizer.plan`."""
    counter = iter(range(10**6))

    def reply(prompt):
        text = prompt.messages[-1].content
        if prompt.name in ("hierarchy_propose", "hierarchy_dedupe"):
            desired = int(re.search(r"about\s+(\d+)", text).group(1))
            return "\n" + "\n".join(f"{i}. Category number {next(counter)}" for i in range(1, desired + 1)) + "\n</answer>"
        if prompt.name == "hierarchy_assign":
            parents = sorted(section(prompt, "higher_level_clusters"))
            return parents[int(re.search(r"Name: \D*(\d+)", text).group(1)) % len(parents)] + "</answer>"
        return f" Users asked for related things.</summary>\n<name>Group {next(counter)}</name>"

    return reply


def embed_distinct(texts):
    """Like `embed`, with numbers as words too: every numbered name is distinct, so k-means finds
    neighbourhoods of every cluster (the plan's assumption)."""
    out = np.zeros((len(texts), 32))
    for row, text in enumerate(texts):
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            out[row] += np.random.default_rng(crc(word)).normal(size=32)
    return out + 1e-6


@pytest.mark.parametrize("n_base, top_k, levels, neighbourhood_size", [(12, 3, None, 40), (30, 3, 3, 40), (9, 2, 3, 40), (60, 4, 3, 20), (100, 10, None, 40), (5, 10, None, 40), (7, 1, 3, 40)])
def test_the_plan_is_the_calls_fit_makes_per_stage(monkeypatch, n_base, top_k, levels, neighbourhood_size):
    """`fit` and `plan` run one level loop (`_walk_levels`) and one set of rules; the estimator's
    plan (`plan` + `plan_jobs`) equals, per stage, the calls a fit makes through the gateway."""
    from collections import Counter

    from clio.hierarchy import Hierarchizer, Node

    walked = []
    original = Hierarchizer._walk_levels
    monkeypatch.setattr(Hierarchizer, "_walk_levels", lambda self, n, build: walked.append(n) or original(self, n, build))
    base = [ClusterName(cluster_id=i, name=f"Cluster {i} about topic {i % 7}", description=f"Users asked about topic {i % 7}.", size=3) for i in range(n_base)]
    settings = dict(top_k=top_k, levels=levels, neighbourhood_size=neighbourhood_size)
    gw = LLMGateway(FakeBackend(obedient_model()), None, show_progress=False)
    tree = Hierarchizer(embed_distinct, gw, random_state=0, **settings).fit(base)
    planner = Hierarchizer(None, None, **settings)
    levels_planned = planner.plan(n_base)
    assert walked == [n_base, n_base]  # the fit and the estimator's plan ran the same loop

    nodes = [Node(id=f"0-{i}", level=0, name=f"Cluster {i}", size=1) for i in range(n_base)]
    planned = Counter()
    for stage, job, times, _ in planner.plan_jobs(levels_planned, nodes, lambda level, i: Node(id=f"{level}-{i}", level=level, name=f"Group {i}", size=1), lambda i: f"Category {i}"):
        planned[stage] += times
        assert job.prompt.name == "hierarchy_" + stage.split(".")[1]
    made = {stage: u.calls for stage, u in gw.usage.items() if u.calls}
    assert {s: c for s, c in planned.items() if c} == made
    assert [lv.kept for lv in levels_planned] == [len(level) for level in tree.levels()[1:]]
