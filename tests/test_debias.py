"""Language debiasing (clio/debias.py): per-language mean centring with a global-mean fallback."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score
from sklearn.preprocessing import normalize

from clio.debias import LanguageCentering, NoDebias, primary_language
from clio.errors import ConfigError


def _toy(seed=0, per_cell=20, topics=4, languages=("en", "es", "ka")):
    """Vectors = a strong language direction + a weaker topic direction + noise: raw k-means finds
    the languages, which is what multilingual embedders do with raw text."""
    rng = np.random.default_rng(seed)
    dim = 32
    lang_dirs = {lang: rng.normal(size=dim) * 3.0 for lang in languages}
    topic_dirs = [rng.normal(size=dim) for _ in range(topics)]
    X, langs, topic = [], [], []
    for lang in languages:
        for t in range(topics):
            for _ in range(per_cell):
                X.append(lang_dirs[lang] + topic_dirs[t] + rng.normal(scale=0.3, size=dim))
                langs.append(lang)
                topic.append(t)
    return normalize(np.array(X)), langs, np.array(topic)


def test_centring_turns_language_clusters_into_topic_clusters():
    X, langs, topic = _toy()
    raw = KMeans(4, n_init=5, random_state=0).fit_predict(X)
    centred = LanguageCentering(min_count=5).fit(X, langs).transform(X, langs)
    debiased = KMeans(4, n_init=5, random_state=0).fit_predict(centred)
    assert normalized_mutual_info_score(topic, raw) < 0.3
    assert normalized_mutual_info_score(topic, debiased) > 0.9
    assert np.allclose(np.linalg.norm(centred, axis=1), 1.0, atol=1e-5)


def test_rare_languages_and_missing_ones_use_the_global_mean():
    X = np.array([[1.0, 0.0], [1.0, 0.2], [1.0, -0.2], [0.0, 1.0], [0.5, 0.5]])
    langs = ["en", "en", "en", "ka", None]
    centring = LanguageCentering(min_count=3).fit(X, langs)
    assert set(centring.means) == {"en"}
    out = centring.transform(X, langs)
    expected_ka = normalize((X[3] - X.mean(axis=0))[None, :])[0]
    expected_none = normalize((X[4] - X.mean(axis=0))[None, :])[0]
    assert np.allclose(out[3], expected_ka) and np.allclose(out[4], expected_none)
    assert np.allclose(out[0], normalize((X[0] - X[:3].mean(axis=0))[None, :])[0])
    assert centring.summary()["languages_global_mean"] == {"ka": 1}


def test_queries_are_centred_on_the_global_mean_and_state_round_trips(tmp_path):
    X, langs, _ = _toy(per_cell=6)
    centring = LanguageCentering(min_count=5).fit(X, langs)
    Q = X[:3]
    assert np.allclose(centring.transform_queries(Q), normalize(Q - X.mean(axis=0)), atol=1e-6)
    path = tmp_path / "means.npz"
    centring.save(path)
    again = LanguageCentering.load(path)
    assert np.allclose(again.transform(X, langs), centring.transform(X, langs))
    assert again.counts == centring.counts and again.min_count == 5


def test_no_debias_passes_vectors_through():
    X = np.eye(3)
    assert np.array_equal(NoDebias().transform(X, ["a"] * 3), X) and np.array_equal(NoDebias().transform_queries(X), X)


def test_primary_language_and_bad_min_count():
    assert primary_language("Spanish; English") == "Spanish"
    assert primary_language(None) is None and primary_language(float("nan")) is None and primary_language("") is None
    with pytest.raises(ConfigError):
        LanguageCentering(min_count=0)
