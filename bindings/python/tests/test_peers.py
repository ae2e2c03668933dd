"""The peer kinds (AdaMF-MAT, NATIVE) through the same Python calls as AFME: chosen by name, trained,
scored, ranked, saved and loaded, with their modality weights and their own options."""
import numpy as np
import pytest

import afme

PEERS = ("adamf_mat", "native")
FAST = dict(dim=32, epochs=15, learning_rate=0.003, negatives=16, batch_size=512, validate_every=0, seed=3,
            threads=2, generator_hidden=64)


@pytest.fixture(scope="module")
def ds():
    with afme.Dataset.synthetic() as d:
        yield d


@pytest.fixture(scope="module")
def rotate_mrr(ds):
    structural = {k: v for k, v in FAST.items() if k != "generator_hidden"}
    with afme.Model.train(ds, model="rotate", **dict(structural, epochs=100)) as m:
        return m.evaluate(ds, "test")["both"]["mrr"]


@pytest.mark.parametrize("kind", PEERS)
def test_peer_beats_rotate_and_round_trips(kind, ds, rotate_mrr, tmp_path):
    assert kind in afme.MODELS
    with afme.Model.train(ds, model=kind, **FAST) as m:
        assert m.kind_name == kind and m.kind == "other"
        mrr = m.evaluate(ds, "test")["both"]["mrr"]
        assert mrr > rotate_mrr + 0.05, (kind, mrr, rotate_mrr)
        w = m.modality_weights()
        assert w.shape == (ds.n_relations, 1 + ds.n_modalities)
        assert np.allclose(w.sum(axis=1), 1, atol=1e-4)
        assert len(m.modality_names) == ds.n_modalities
        t = ds.triples("test")[:64]
        s = m.score(t)
        ids, scores = m.topk(int(t[0, 0]), int(t[0, 1]), k=5, exclude=ds)
        assert len(ids) == 5 and np.all(np.diff(scores) <= 0)
        path = tmp_path / f"{kind}.afme"
        m.save(path)
        with afme.Model.load(path) as back:
            assert back.kind_name == kind
            assert np.array_equal(back.score(t), s)
            assert back.to_bytes() == m.to_bytes()


def test_peer_options_are_checked_per_kind(ds):
    with pytest.raises(afme.AfmeError, match="native"):
        afme.Model.train(ds, model="adamf_mat", relation_temperature=False, epochs=1)
    with pytest.raises(afme.AfmeError, match="1...16"):
        afme.Model.train(ds, model="adamf_mat", adversarial_groups=0, epochs=1)
    with pytest.raises(afme.AfmeError, match="adamf_mat"):
        afme.Model.train(ds, model="native", generator_objective="saturating", epochs=1)


def test_momok_by_name_round_trips_and_checks_its_options(tmp_path):
    with afme.Dataset.synthetic(n_entities=300) as small:
        fast = dict(dim=16, epochs=2, learning_rate=0.01, batch_size=128, validate_every=0, seed=3, threads=2,
                    relation_dim=16, dropout=False, noisy_gates=False)
        with afme.Model.train(small, model="momok", **fast) as m:
            assert m.kind_name == "momok" and m.kind == "other"
            w = m.modality_weights()
            assert w.shape == (small.n_relations, 1 + small.n_modalities)
            assert np.allclose(w.sum(axis=1), 1, atol=1e-4)
            t = small.triples("test")[:64]
            s = m.score(t)
            assert np.all((s > 0) & (s < 1))
            ids, scores = m.topk(int(t[0, 0]), int(t[0, 1]), k=5, exclude=small)
            assert len(ids) == 5 and np.all(np.diff(scores) <= 0)
            metrics = m.evaluate(small, "test")["both"]
            assert 0 < metrics["mrr"] <= 1
            path = tmp_path / "momok.afme"
            m.save(path)
            with afme.Model.load(path) as back:
                assert back.kind_name == "momok"
                assert np.array_equal(back.score(t), s)
                assert back.to_bytes() == m.to_bytes()
        with pytest.raises(afme.AfmeError, match="1...16"):
            afme.Model.train(small, model="momok", experts=0, epochs=1)
        with pytest.raises(afme.AfmeError, match="momok"):
            afme.Model.train(small, model="native", club_likelihood="released", epochs=1)
