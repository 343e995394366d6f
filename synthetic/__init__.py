"""LLM-driven generation of labelled multilingual conversation datasets (paper C.2.1).

config.py  settings, checked into one-line ConfigErrors
plan.py    the ground truth, drawn in code from the seed (categories, languages, turns, details, accounts, times)
pii.py     fictional private details to plant
generate.py  the model calls: subcategories, user messages, assistant replies
validate.py  the checks on every conversation (language, request, topic, subcategory, pii)
quality.py   the quality report beside a dataset (<name>.quality.json / .md)
run.py     run(cfg) / generate_dataset(cfg, gateway): regenerate or drop, JSONL + manifest + quality
           report; `python -m synthetic` is the Hydra shell
check.py   `python -m synthetic.check FILE`: the same checks and report on any labelled file
"""
