"""Fictional private details to plant in conversations, drawn in code so the labels are exact.

Everything here is made up and reserved for fiction or documentation: phone numbers in the
555-0100..555-0199 range, e-mail addresses at example.com/.org/.net (RFC 2606), invented street
names. Names are common given names with common family names, written in the script of the
conversation's language where we have some, so a planted name looks like one a user would type.
"""

from __future__ import annotations

import numpy as np

# language name -> [(full name as written, ASCII handle for e-mail addresses)]
NAMES: dict[str, list[tuple[str, str]]] = {
    "English": [("Megan Holloway", "megan.holloway"), ("Derek Ashford", "d.ashford"), ("Priya Nandakumar", "priya.n")],
    "Ukrainian": [("Олена Коваленко", "olena.kovalenko"), ("Тарас Мельничук", "t.melnychuk"), ("Ірина Бондар", "iryna.bondar")],
    "Spanish": [("Lucía Ferrer Campos", "lucia.ferrer"), ("Javier Montoya", "jmontoya"), ("Carmen Ibarra", "c.ibarra")],
    "Japanese": [("佐藤 美咲", "misaki.sato"), ("高橋 健太", "k.takahashi"), ("中村 彩", "aya.nakamura")],
    "Mandarin Chinese": [("王晓梅", "wang.xiaomei"), ("李建国", "li.jianguo"), ("陈思远", "chen.siyuan")],
    "French": [("Camille Durand", "camille.durand"), ("Étienne Lefèvre", "e.lefevre"), ("Margaux Petit", "margaux.p")],
    "Russian": [("Анна Соколова", "anna.sokolova"), ("Дмитрий Орлов", "d.orlov"), ("Ксения Лебедева", "k.lebedeva")],
    "Hindi": [("अनीता शर्मा", "anita.sharma"), ("राहुल वर्मा", "rahul.verma"), ("पूजा मेहता", "pooja.mehta")],
    "Portuguese": [("Beatriz Carvalho", "bia.carvalho"), ("Rodrigo Tavares", "r.tavares"), ("Inês Moura", "ines.moura")],
    "Catalan": [("Jordi Puigdomènech", "jordi.puig"), ("Núria Vilaseca", "n.vilaseca"), ("Marta Casals", "marta.casals")],
    "Armenian": [("Անի Պետրոսյան", "ani.petrosyan"), ("Արամ Հակոբյան", "a.hakobyan"), ("Լիլիթ Սարգսյան", "lilit.sargsyan")],
    "Arabic": [("ليلى حداد", "layla.haddad"), ("عمر الخطيب", "o.alkhatib"), ("سارة منصور", "sara.mansour")],
    "Afrikaans": [("Pieter Botha", "pieter.botha"), ("Annelie du Toit", "a.dutoit"), ("Johan van Rensburg", "j.vanrensburg")],
    "Turkish": [("Elif Yıldırım", "elif.yildirim"), ("Murat Aydın", "m.aydin"), ("Zeynep Kaya", "zeynep.kaya")],
    "Georgian": [("ნინო ბერიძე", "nino.beridze"), ("გიორგი კაპანაძე", "g.kapanadze"), ("თამარ ლომიძე", "tamar.lomidze")],
}
FALLBACK_NAMES = NAMES["English"] + [("Sofia Lindqvist", "sofia.lindqvist"), ("Tomasz Wójcik", "t.wojcik")]

STREETS = ["Larkspur Lane", "Quarry Hill Road", "Millbrook Avenue", "Orchard Row", "Tanner's Court", "Heron Bay Drive"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
OTHER_KINDS = ("phone", "email", "address")


def plant_details(language: str, rng: np.random.Generator) -> list[tuple[str, str]]:
    """A person's name plus one or two contact details: [(kind, text), ...], name first."""
    full, handle = _pick(NAMES.get(language, FALLBACK_NAMES), rng)
    details = [("name", full)]
    n_other = 1 + int(rng.random() < 0.35)
    for kind in rng.choice(OTHER_KINDS, size=n_other, replace=False):
        if kind == "phone":
            details.append(("phone", f"555-01{int(rng.integers(0, 100)):02d}"))
        elif kind == "email":
            details.append(("email", f"{handle}@{_pick(EMAIL_DOMAINS, rng)}"))
        else:
            details.append(("address", f"{int(rng.integers(2, 990))} {_pick(STREETS, rng)}"))
    return details


def _pick(options, rng: np.random.Generator):
    return options[int(rng.integers(len(options)))]
