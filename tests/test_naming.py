import re

import numpy as np

from clio.llm.backends import FakeBackend
from clio.llm.gateway import LLMGateway
from clio.naming import ClusterName, fit_examples, name_clusters


def gateway(responder, **kw):
    return LLMGateway(FakeBackend(responder), None, show_progress=False, **kw)


def listed(prompt, tag):
    body = re.search(rf"<{tag}>(.*?)</{tag}>", prompt.messages[-1].content, re.S).group(1)
    return [line[2:] for line in body.strip().splitlines()]


# Two clusters on a line: cluster 0 at x<0, cluster 1 at x>0. Points of cluster 1 nearest to
# cluster 0's centroid are the ones with the smallest x.
X = np.array([[-3.0, 0], [-2.0, 0], [-1.0, 0], [1.0, 0], [2.0, 0], [6.0, 0], [9.0, 0]])
LABELS = np.array([0, 0, 0, 1, 1, 1, 1])
CENTROIDS = np.array([[-2.0, 0], [4.5, 0]])
SUMMARIES = ["bake bread", "bake cake", "bake pie", "near one", "near two", "far three", "far four"]


def good(prompt):
    return ' The users asked for baking help. They wanted recipes.</summary>\n<name>"Bake bread and cakes at home."</name>'


def test_names_descriptions_and_sizes():
    names = name_clusters(SUMMARIES, X, LABELS, CENTROIDS, gateway(good), criteria="imperative", random_state=0)
    assert [n.cluster_id for n in names] == [0, 1]
    assert [n.size for n in names] == [3, 4]
    assert names[0].name == "Bake bread and cakes at home"  # quotes and trailing full stop removed
    assert names[0].description == "The users asked for baking help. They wanted recipes."
    assert all(n.error is None for n in names)


def test_prompt_has_members_and_nearest_non_members():
    backend = FakeBackend(good)
    name_clusters(SUMMARIES, X, LABELS, CENTROIDS, LLMGateway(backend, None, show_progress=False, concurrency=1), criteria="CRIT", n_members=50, n_contrast=2, random_state=0)
    first = backend.calls[0]
    assert sorted(listed(first, "answers")) == ["bake bread", "bake cake", "bake pie"]
    assert listed(first, "contrastive_answers") == ["near one", "near two"]  # nearest first, far ones left out
    assert "CRIT" in first.messages[-1].content
    assert first.prefill == "<summary>" and first.output.tags == ["summary", "name"]
    assert "proper nouns" in first.messages[-1].content  # privacy instruction
    second = backend.calls[1]
    assert listed(second, "contrastive_answers") == ["bake pie", "bake cake"]


def test_member_sample_is_seeded_and_bounded():
    rng = np.random.default_rng(1)
    X2 = rng.normal(size=(200, 4))
    labels = np.zeros(200, dtype=int)
    summaries = [f"summary {i}" for i in range(200)]

    def prompts(seed):
        backend = FakeBackend(good)
        name_clusters(summaries, X2, labels, X2.mean(0, keepdims=True), LLMGateway(backend, None, show_progress=False), criteria="c", n_members=50, random_state=seed)
        return listed(backend.calls[0], "answers")

    assert len(prompts(3)) == 50 and prompts(3) == prompts(3) and prompts(3) != prompts(4)


def test_failed_naming_gets_placeholder_and_error():
    calls = []

    def bad(prompt):
        calls.append(prompt)
        return "I cannot do that."

    names = name_clusters(SUMMARIES, X, LABELS, CENTROIDS, gateway(bad, max_reasks=1), criteria="c", random_state=0)
    assert [n.name for n in names] == ["Unnamed cluster 0", "Unnamed cluster 1"]
    assert all("unparseable" in n.error for n in names)
    assert [n.size for n in names] == [3, 4]
    assert isinstance(names[0], ClusterName)


def test_empty_cluster_is_not_sent_to_the_model():
    backend = FakeBackend(good)
    centroids = np.vstack([CENTROIDS, [[100.0, 0]]])
    names = name_clusters(SUMMARIES, X, LABELS, centroids, LLMGateway(backend, None, show_progress=False), criteria="c", random_state=0)
    assert len(backend.calls) == 2
    assert names[2].name == "Unnamed cluster 2" and names[2].size == 0 and names[2].error == "empty cluster"


def test_fit_examples_budget():
    texts = ["x" * 100] * 10
    assert len(fit_examples(texts, 350)) == 3
    assert len(fit_examples(texts, None)) == 10
    assert fit_examples(["y" * 1000], 10, max_item_chars=50)[0].endswith("…")  # always at least one, cut
    assert fit_examples(["a\n  b"], 100) == ["a b"]


def test_overlong_description_keeps_its_first_whole_sentences():
    """A model that writes four long sentences instead of two is not re-asked: the description keeps
    the whole sentences that fit the prompt's 500-character limit (seen on the demo with the 1.5B model)."""
    sentence = "The users asked for help with baking bread, cakes and pies at home on weekends " + "and holidays " * 6
    long_description = " ".join(f"{sentence.strip()} ({i})." for i in range(4))
    assert len(long_description) > 500
    calls = []

    def verbose(prompt):
        calls.append(prompt)
        return f" {long_description}</summary>\n<name>Bake bread and cakes at home</name>"

    names = name_clusters(SUMMARIES, X, LABELS, CENTROIDS, gateway(verbose), criteria="c", random_state=0)
    assert len(calls) == 2  # one call per cluster, no re-ask
    for n in names:
        assert n.error is None and n.name == "Bake bread and cakes at home"
        assert len(n.description) <= 500 and n.description.endswith(".")
        assert long_description.startswith(n.description)


def test_central_members_and_a_mapping_of_shown_texts():
    """Embed-first naming: members nearest the centroid, and only the rows whose (scrubbed) text
    is in the mapping are shown; a cluster with none of its members showable is not sent."""
    from clio.naming import naming_examples

    examples = naming_examples(X, LABELS, CENTROIDS, n_members=2, n_contrast=1, members="central")
    assert list(examples[0][0]) == [1, 0]  # -2 first, then the first of two neighbours at distance 1
    assert list(examples[1][0]) == [5, 4]  # 6 and 2 are nearest 4.5
    assert list(examples[1][1]) == [2]  # nearest non-member
    backend = FakeBackend(good)
    texts = {1: "bake cake", 2: "bake pie", 4: "near two"}  # row 5 could not be scrubbed: not shown
    names = name_clusters(texts, X, LABELS, CENTROIDS, LLMGateway(backend, None, show_progress=False, concurrency=1), examples=examples)
    assert listed(backend.calls[1], "answers") == ["near two"] and listed(backend.calls[1], "contrastive_answers") == ["bake pie"]
    only_contrast = {1: "bake cake"}  # cluster 1 has no showable member
    backend2 = FakeBackend(good)
    names = name_clusters(only_contrast, X, LABELS, CENTROIDS, LLMGateway(backend2, None, show_progress=False, concurrency=1), examples=examples)
    assert len(backend2.calls) == 1 and names[1].error == "no member text could be shown to the namer" and names[1].size == 4


def test_token_budget_uses_the_backends_count():
    class Counting(FakeBackend):
        def count_tokens(self, text):
            return 10 * len(text.split())  # a script that costs ten tokens a word

    backend = Counting(good)
    many = [f"word{i} word" for i in range(7)]
    name_clusters(many, X, LABELS, CENTROIDS, LLMGateway(backend, None, show_progress=False, concurrency=1), n_members=50, n_contrast=3, max_tokens_per_list=45, random_state=0)
    assert len(listed(backend.calls[0], "answers")) == 2  # 20 + 2 tokens each: a third would pass 45
    assert fit_examples(["aa", "bb", "cc"], 6, length=lambda t: 2) == ["aa", "bb"]  # 2 + 2 for the list marker each


def test_clean_name_drops_a_closing_tag_begun_inside_the_name():
    from clio.naming import clean_name

    assert clean_name("Debugging segmentation faults</name") == "Debugging segmentation faults"  # seen with the 1.5B model
    assert clean_name("Plan a trip.</") == "Plan a trip" and clean_name("Compare x < y in Python") == "Compare x < y in Python"
