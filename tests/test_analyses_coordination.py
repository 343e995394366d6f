"""Coordinated-behaviour detector on real ShareGPT conversations with a planted campaign."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clio.analyses.common import first_user_message
from clio.analyses.coordination import coordinated_behaviour, embed_texts, mask_text

BUSINESSES = [
    "dental clinic",
    "bakery",
    "yoga studio",
    "plumbing company",
    "law firm",
    "pet grooming salon",
    "coffee roaster",
    "roofing contractor",
    "bike repair shop",
    "wedding photographer",
    "tax advisor",
    "florist",
    "car wash",
    "language school",
    "escape room",
    "vegan restaurant",
    "hair salon",
    "moving company",
    "solar installer",
    "tattoo parlour",
]
CITIES = ["Austin", "Leeds", "Denver", "Porto", "Calgary", "Dublin", "Tampa", "Lyon", "Perth", "Oslo", "Boise", "Turin", "Cork", "Malmo"]


def campaign_prompt(rng: np.random.Generator) -> str:
    biz, city = rng.choice(BUSINESSES), rng.choice(CITIES)
    n = int(rng.integers(15, 40))
    return (
        f"You are an SEO specialist. Generate {n} long-tail keywords for a {biz} in {city}. "
        f"Output only a numbered list, no explanations. For each keyword add the search intent "
        f"(informational, commercial or transactional) in brackets and an estimated monthly volume. "
        f"Do not repeat the brand name. Keywords must mention {city} or nearby areas."
    )


def build_corpus():
    from clio.loaders import load_conversations

    convs = load_conversations("sharegpt").conversations
    rng = np.random.default_rng(7)
    order = rng.permutation(len(convs))
    seen_text, seen_acc = set(), set()
    python, real = [], []
    for i in order:
        c = convs[i]
        text = first_user_message(c)
        key = " ".join(text.lower().split())[:300]
        if key in seen_text or c.account_id in seen_acc or len(text) < 20:
            continue
        if "python" in text.lower() and len(python) < 40:
            python.append(c)
        elif "python" not in text.lower() and len(real) < 300:
            real.append(c)
        else:
            continue
        seen_text.add(key)
        seen_acc.add(c.account_id)
        if len(python) == 40 and len(real) == 300:
            break
    rows = [{"conversation_id": c.id, "account_id": c.account_id, "text": first_user_message(c), "origin": "real"} for c in real]
    rows += [{"conversation_id": c.id, "account_id": c.account_id, "text": first_user_message(c), "origin": "python"} for c in python]
    rows += [{"conversation_id": f"camp_{i}", "account_id": f"bot_account_{i:03d}", "text": campaign_prompt(rng), "origin": "campaign"} for i in range(40)]
    frame = pd.DataFrame(rows)
    frame["timestamp"] = pd.NaT
    assert frame["account_id"].nunique() == len(frame) == 380
    emb = embed_texts(frame["text"].tolist())
    return frame, emb


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


def test_mask_hides_fillers():
    a = mask_text("Write 20 keywords for a bakery in Austin. Visit https://x.example.com")
    b = mask_text("Write 35 keywords for a bakery in Leeds. Visit https://y.example.org")
    assert a == b


def test_planted_campaign_flagged_organic_python_cluster_not(corpus):
    frame, emb = corpus
    from sklearn.cluster import KMeans

    real = frame["origin"] == "real"
    labels = np.empty(len(frame), dtype=object)
    labels[real.to_numpy()] = [f"real-{k}" for k in KMeans(8, n_init=4, random_state=0).fit_predict(emb[real.to_numpy()])]
    labels[(frame["origin"] == "python").to_numpy()] = "python (organic)"
    labels[(frame["origin"] == "campaign").to_numpy()] = "seo keywords (campaign)"
    frame = frame.assign(cluster=labels)
    res = coordinated_behaviour(frame, emb, min_conversations=5)
    t = res.table.set_index("cluster")
    camp, py = t.loc["seo keywords (campaign)"], t.loc["python (organic)"]
    assert camp["flagged"] and camp["template_accounts"] >= 35, camp.to_dict()
    assert camp["exact_accounts"] >= 30 and camp["semantic_accounts"] >= 20  # each signal alone finds it
    assert not py["flagged"], py.to_dict()
    assert py["template_accounts"] < 5
    assert res.table.iloc[0]["cluster"] == "seo keywords (campaign)"
    assert t["flagged"].sum() == 1, t[t["flagged"]]


def test_campaign_found_when_clusters_come_from_kmeans(corpus):
    """No hand-made labels: k-means over everything, then the detector. The flagged group is the
    campaign, and the cluster holding most python conversations is not flagged."""
    frame, emb = corpus
    from sklearn.cluster import KMeans

    frame = frame.assign(cluster=[f"c{k}" for k in KMeans(10, n_init=4, random_state=0).fit_predict(emb)])
    res = coordinated_behaviour(frame, emb, min_conversations=5)
    flagged = res.table[res.table["flagged"]]
    assert len(flagged) >= 1
    top = flagged.iloc[0]["cluster"]
    members = frame.iloc[res.groups[top]]
    assert (members["origin"] == "campaign").mean() > 0.9 and len(members) >= 35
    py_cluster = frame[frame["origin"] == "python"]["cluster"].mode()[0]
    if py_cluster != top:
        assert py_cluster not in set(flagged["cluster"])
    for c in flagged["cluster"]:
        assert (frame.iloc[res.groups[c]]["origin"] == "campaign").mean() > 0.5


def test_string_signal_alone_finds_campaign(corpus):
    frame, emb = corpus
    camp = frame[frame["origin"] == "campaign"].assign(cluster="c")
    res = coordinated_behaviour(camp.reset_index(drop=True), None, min_conversations=5)
    assert res.table.iloc[0]["exact_accounts"] >= 35
