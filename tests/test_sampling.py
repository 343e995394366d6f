"""Sampling strategies of paper G.1: seeded, input order kept, completions cut after the sampled output."""

from __future__ import annotations

import pytest

from clio.errors import ConfigError
from clio.records import Conversation, Message
from clio.sampling import sample, sample_completions_dedup, sample_conversations


def make_conv(index: int, exchanges: int = 1, *, with_system: bool = False) -> Conversation:
    messages = [Message(role="system", content="be brief")] if with_system else []
    for turn in range(exchanges):
        messages += [Message(role="user", content=f"q{index}.{turn}"), Message(role="assistant", content=f"a{index}.{turn}")]
    return Conversation(id=f"c{index}", account_id=f"acct{index % 3}", messages=messages)


@pytest.fixture
def convs() -> list[Conversation]:
    return [make_conv(i, exchanges=1 + i % 4, with_system=i % 5 == 0) for i in range(50)]


def test_conversations_same_seed_same_sample(convs):
    first = sample_conversations(convs, 10, seed=7)
    assert [c.id for c in first] == [c.id for c in sample_conversations(convs, 10, seed=7)]
    assert len(first) == 10 and len({c.id for c in first}) == 10


def test_conversations_different_seeds_differ(convs):
    samples = {tuple(c.id for c in sample_conversations(convs, 10, seed=s)) for s in range(5)}
    assert len(samples) == 5


def test_conversations_keep_input_order_and_take_all_when_n_is_large(convs):
    positions = {c.id: i for i, c in enumerate(convs)}
    picked = [positions[c.id] for c in sample_conversations(convs, 20, seed=1)]
    assert picked == sorted(picked)
    assert sample_conversations(convs, 500, seed=1) == convs
    assert sample_conversations(convs, 0, seed=1) == []


def test_completions_cut_after_the_latest_sampled_output(convs):
    by_id = {c.id: c for c in convs}
    sampled = sample_completions_dedup(convs, 30, seed=3)
    assert 0 < len(sampled) <= 30 and len({c.id for c in sampled}) == len(sampled)
    for conv in sampled:
        original, note = by_id[conv.id], conv.metadata["sampling"]
        cut = note["cut_after_message"]
        assert conv.messages == original.messages[: cut + 1]
        assert conv.messages[-1].role == "assistant"
        assert note["assistant_output"] == sum(m.role == "assistant" for m in conv.messages) - 1
        assert note["original_messages"] == len(original.messages)
    assert "sampling" not in convs[0].metadata  # the input is not modified


def test_completions_all_outputs_means_every_conversation_up_to_its_last_output(convs):
    total = sum(m.role == "assistant" for c in convs for m in c.messages)
    sampled = sample_completions_dedup(convs, total, seed=0)
    assert [c.id for c in sampled] == [c.id for c in convs]
    assert all(c.messages == o.messages for c, o in zip(sampled, convs))  # all end with an assistant turn


def test_completions_deterministic_and_seed_dependent(convs):
    ids = lambda s: [(c.id, len(c.messages)) for c in s]  # noqa: E731
    assert ids(sample_completions_dedup(convs, 15, seed=5)) == ids(sample_completions_dedup(convs, 15, seed=5))
    assert len({tuple(ids(sample_completions_dedup(convs, 15, seed=s))) for s in range(5)}) == 5


def test_completions_weight_long_conversations_and_skip_those_without_outputs():
    long = make_conv(0, exchanges=10)
    shorts = [make_conv(i, exchanges=1) for i in range(1, 11)]
    silent = Conversation(id="silent", account_id="a", messages=[Message(role="user", content="hello?")])
    pool = [long, *shorts, silent]
    picks = [sample_completions_dedup(pool, 1, seed=s)[0].id for s in range(400)]
    assert "silent" not in picks
    # 10 of 20 outputs belong to the long conversation: about half the draws, vs 1/11 uniformly.
    assert 0.35 < picks.count("c0") / len(picks) < 0.65
    conv_picks = [sample_conversations(pool, 1, seed=s)[0].id for s in range(400)]
    assert conv_picks.count("c0") / len(conv_picks) < 0.2
    assert sample_completions_dedup([silent], 5, seed=0) == []


def test_dispatcher(convs):
    assert sample(convs, "conversations", 5, 1) == sample_conversations(convs, 5, 1)
    assert sample(convs, "completions", 5, 1) == sample_completions_dedup(convs, 5, 1)
    with pytest.raises(ConfigError, match="unknown sampling strategy"):
        sample(convs, "turns", 5, 1)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        sample(convs, "conversations", -1, 1)


def test_conversation_samples_are_nested_for_one_seed():
    from clio.records import Conversation, Message

    convs = [Conversation(id=f"c{i}", account_id="a", messages=[Message(role="user", content=str(i))]) for i in range(200)]
    small = {c.id for c in sample_conversations(convs, 10, seed=3)}
    large = {c.id for c in sample_conversations(convs, 50, seed=3)}
    assert small < large


def test_null_sample_size_takes_every_conversation_and_junk_is_one_config_error(convs):
    from clio.errors import ConfigError

    assert [c.id for c in sample(convs, "conversations", None, seed=0)] == [c.id for c in convs]
    with_output = [c.id for c in convs if any(m.role == "assistant" for m in c.messages)]
    assert [c.id for c in sample(convs, "completions", None, seed=0)] == with_output
    with pytest.raises(ConfigError, match="whole number or null"):
        sample(convs, "conversations", "all", seed=0)
