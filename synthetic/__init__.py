"""LLM-driven generation of labelled multilingual conversation datasets (paper C.2.1).

config.py  settings, checked into one-line ConfigErrors
plan.py    the ground truth, drawn in code from the seed (categories, languages, turns, details, accounts, times)
pii.py     fictional private details to plant
generate.py  the model calls: subcategories, user messages, assistant replies
run.py     run(cfg) / generate_dataset(cfg, gateway): JSONL + manifest; `python -m synthetic` is the Hydra shell
"""
