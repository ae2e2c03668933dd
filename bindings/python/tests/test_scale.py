"""Graphs at scale from Python: the generator (and its cache), and the lean structural options that keep
big tables trainable (row-wise Adagrad, shared negatives)."""
import numpy as np
import pytest

import afme

SPEC = dict(entities=2000, relations=16, triples=30000, valid=300, test=300, clusters=20, seed=4)


def test_scale_graph_is_deterministic_and_cached(tmp_path):
    with afme.Dataset.scale(**SPEC) as a, afme.Dataset.scale(cache_dir=str(tmp_path), **SPEC) as b:
        assert a.n_entities == 2000 and a.n_relations == 16
        assert np.array_equal(a.triples("train"), b.triples("train"))
        assert np.array_equal(a.triples("test"), b.triples("test"))
    cached = list(tmp_path.iterdir())
    assert len(cached) == 1 and cached[0].suffix == ".afmegraph"
    with afme.Dataset.scale(cache_dir=str(tmp_path), **SPEC) as c, afme.Dataset.scale(**dict(SPEC, seed=5)) as d:
        assert np.array_equal(c.triples("valid"), afme.Dataset.scale(**SPEC).triples("valid"))
        assert not np.array_equal(c.triples("train")[:100], d.triples("train")[:100])


def test_scale_graph_with_features():
    with afme.Dataset.scale(feature_dim=8, **SPEC) as ds:
        assert ds.n_modalities == 1


@pytest.mark.parametrize("bad", [dict(entities=3), dict(bogus=1), dict(zipf=-1.0), dict(clusters="x")])
def test_bad_scale_specs_are_refused(bad):
    with pytest.raises(afme.InvalidArgumentError):
        afme.Dataset.scale(**dict(SPEC, **bad))


def test_lean_structural_options_train():
    with afme.Dataset.scale(**SPEC) as ds:
        common = dict(dim=32, epochs=15, negatives=32, batch_size=512, validate_every=0, threads=2, seed=1)
        chance = 2.0 / ds.n_entities
        with afme.Model.train(ds, model="rotate", optimizer="rowwise_adagrad", learning_rate=0.1,
                              shared_negatives=64, **common) as m:
            assert m.evaluate(ds, "test")["both"]["mrr"] > 20 * chance
        with pytest.raises(afme.InvalidArgumentError, match="shared_negatives"):
            afme.Model.train(ds, model="afme", shared_negatives=8, **common)
        with pytest.raises(afme.InvalidArgumentError):
            afme.Model.train(ds, model="rotate", optimizer="sgd", **common)
