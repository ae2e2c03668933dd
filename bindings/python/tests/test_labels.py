"""Models that carry their labels; scoring, top-k and predictions by label; batch top-k; embeddings."""
import copy
import os
import pathlib

import numpy as np
import pytest

import afme

FIXTURES = pathlib.Path(__file__).resolve().parents[3] / "Tests" / "fixtures"
from conftest import QUICK  # noqa: E402


@pytest.fixture(scope="module")
def ds(labeled_graph):
    return labeled_graph


@pytest.fixture(scope="module")
def model(quick_model):
    return quick_model


def test_a_trained_model_knows_its_labels(model, ds):
    assert model.has_labels and model.kind_name == "rotate"
    assert model.entity_id(ds.entity_name(17)) == 17
    assert model.entity_label(17) == ds.entity_name(17)
    assert model.relation_id(ds.relation_name(2)) == 2
    assert list(model.entity_labels[:3]) == [ds.entity_name(i) for i in range(3)]
    with pytest.raises(afme.NotFoundError, match="no such"):
        model.entity_id("no such")
    with pytest.raises(KeyError):                     # NotFoundError is a KeyError
        model.relation_id("nope")
    with pytest.raises(TypeError):
        model.entity_id(17)


def test_scoring_and_topk_by_label_equal_by_id(model, ds):
    ids = ds.triples("test")[:20]
    labels = np.array([[ds.entity_name(h), ds.relation_name(r), ds.entity_name(t)] for h, r, t in ids])
    np.testing.assert_array_equal(model.score(labels).view(np.uint32), model.score(ids).view(np.uint32))
    a_ids, a_scores = model.topk(ds.entity_name(5), ds.relation_name(1), k=4)
    b_ids, b_scores = model.topk(5, 1, k=4)
    np.testing.assert_array_equal(a_ids, b_ids)
    np.testing.assert_array_equal(a_scores, b_scores)
    with pytest.raises(afme.NotFoundError):
        model.score(np.array([["nobody", ds.relation_name(0), ds.entity_name(0)]]))


def test_topk_batch_equals_single_queries(model, ds):
    rng = np.random.default_rng(0)
    e = rng.integers(0, ds.n_entities, 50)
    r = rng.integers(0, ds.n_relations, 50)
    d = np.where(rng.random(50) < 0.5, "tail", "head")
    for exclude in (None, ds):
        ids, scores, counts = model.topk_batch(e, r, k=6, direction=d, exclude=exclude, threads=2)
        assert ids.shape == (50, 6) and scores.shape == (50, 6)
        for i in range(50):
            one_ids, one_scores = model.topk(int(e[i]), int(r[i]), k=6, direction=d[i], exclude=exclude)
            n = counts[i]
            np.testing.assert_array_equal(ids[i, :n], one_ids)
            np.testing.assert_array_equal(scores[i, :n].view(np.uint32), one_scores.view(np.uint32))
            assert (ids[i, n:] == -1).all()


def test_predict_marks_known_facts(model, ds):
    train = ds.triples("train")
    h, r, t = (int(x) for x in train[0])
    cols = model.predict([h], [r], k=ds.n_entities, known=ds, as_frame=False)
    assert len(cols["candidate_id"]) == ds.n_entities
    assert list(cols["rank"][:3]) == [1, 2, 3]
    row = int(np.flatnonzero(cols["candidate_id"] == t)[0])
    assert cols["in_train"][row] and cols["candidate"][row] == ds.entity_name(t)
    known_tails = {int(b) for a, rr, b in train if a == h and rr == r}
    assert set(cols["candidate_id"][cols["in_train"]].tolist()) == known_tails
    # Filtered, the known training answers are gone.
    filtered = model.predict([h], [r], k=10, exclude=ds, known=ds, as_frame=False)
    assert not filtered["in_train"].any()


def test_predict_as_dataframe(model, ds):
    pd = pytest.importorskip("pandas", reason="pandas not installed: DataFrame output untested")
    df = model.predict([ds.entity_name(1), ds.entity_name(2)], [ds.relation_name(0)] * 2, k=3, direction=["tail", "head"], known=ds)
    assert isinstance(df, pd.DataFrame) and len(df) == 6
    assert {"entity", "relation", "candidate", "score", "rank", "in_train", "in_valid", "in_test"} <= set(df.columns)
    assert (df.groupby("query")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()


def test_embeddings(model, ds):
    ent, rel = model.entity_embeddings(), model.relation_embeddings()
    assert ent.shape == (ds.n_entities, 32) and rel.shape == (ds.n_relations, 16) and ent.dtype == np.float32
    # RotatE from the exported rows: γ − Σ_d |h_d e^{iφ_d} − t_d|, γ = 4 by default.
    trip = ds.triples("test")[:10]
    h = ent[trip[:, 0], :16] + 1j * ent[trip[:, 0], 16:]
    t = ent[trip[:, 2], :16] + 1j * ent[trip[:, 2], 16:]
    want = 4 - np.abs(h * np.exp(1j * rel[trip[:, 1]]) - t).sum(axis=1)
    np.testing.assert_allclose(model.score(trip), want, rtol=1e-4, atol=1e-4)


def test_labels_survive_save_load_and_copy(model, ds, tmp_path):
    path = tmp_path / "m.afme"
    model.save(path)
    with afme.Model.load(path) as back:
        assert back.has_labels and back.entity_id(ds.entity_name(9)) == 9
    dup = copy.deepcopy(model)
    assert dup.entity_label(4) == ds.entity_name(4)
    dup.close()


def test_a_020_checkpoint_has_no_labels():
    fixture = FIXTURES / "v0.2.0-structural-transe.afme"
    if not fixture.exists():
        pytest.skip("fixtures not found (run from a checkout)")
    with afme.Model.load(fixture) as old:
        assert not old.has_labels and old.kind_name == "transe"
        with pytest.raises(afme.InvalidArgumentError, match="no labels"):
            old.entity_id("e0")
        ids, _ = old.topk(0, 0, k=3)                 # ids still work
        assert len(ids) == 3


def test_afme_model_by_label(ds):
    with afme.Model.train(ds, model="afme", dim=16, negatives=8, batch_size=256, epochs=1, validate_every=0,
                          attention_tokens=2, noise_dim=4, discriminator_hidden=8) as m:
        assert m.kind_name == "afme" and m.has_labels
        ids, scores, counts = m.topk_batch([ds.entity_name(0), ds.entity_name(3)], [ds.relation_name(1)] * 2, k=5)
        one, _ = m.topk(3, 1, k=5)
        np.testing.assert_array_equal(ids[1], one)
        assert m.entity_embeddings().shape == (ds.n_entities, 32)
        j, rel = m.joint_embeddings(ds.relation_name(1)), m.relation_embeddings()
        trip = np.array([[i, 1, (i * 7 + 3) % ds.n_entities] for i in range(10)])
        h = j[trip[:, 0], :16] + 1j * j[trip[:, 0], 16:]
        t = j[trip[:, 2], :16] + 1j * j[trip[:, 2], 16:]
        np.testing.assert_allclose(m.score(trip), 4 - np.abs(h * np.exp(1j * rel[1]) - t).sum(axis=1), rtol=1e-4, atol=1e-4)


def test_completed_modality_vectors(tmp_path):
    with afme.Dataset.synthetic(n_entities=300, n_relations=6, seed=2) as d:
        present = np.arange(d.n_entities) % 3 != 0
        d.add_modality("audio", np.random.default_rng(0).normal(size=(d.n_entities, 8)).astype(np.float32),
                       present=present)
        with afme.Model.train(d, model="afme", dim=8, negatives=4, batch_size=256, epochs=1, validate_every=0,
                              attention_tokens=2, noise_dim=4, discriminator_hidden=8) as m:
            assert m.modality_names == ["text", "image", "audio"]
            m.save(tmp_path / "m.afme")
            with afme.Model.load(tmp_path / "m.afme") as back:
                assert back.modality_names == ["text", "image", "audio"], "one file is enough to serve"
            v, completed = m.modality_embeddings("audio", d.relation_name(0))
            assert v.shape == (d.n_entities, 16) and v.dtype == np.float32
            np.testing.assert_array_equal(completed, ~present)
            assert (np.abs(v[completed]).sum(axis=1) > 0).all(), "completed rows come from the generator"
            w, again = m.modality_embeddings("audio", 1)
            np.testing.assert_array_equal(again, completed)
            assert not np.array_equal(v, w), "the relation's gate changes the vectors"
            with pytest.raises(afme.NotFoundError, match="audio"):
                m.modality_embeddings("smell", 0)
        with afme.Model.train(d, model="rotate", dim=8, epochs=1, validate_every=0) as r:
            with pytest.raises(afme.InvalidArgumentError, match="no feature modality"):
                r.modality_embeddings("audio", 0)
            assert r.modality_names == []


def test_tune_heap_is_callable():
    afme.tune_heap()
    afme.tune_heap()


def test_history_is_kept_and_saved(model, tmp_path):
    h = model.history
    assert [r["epoch"] for r in h] == list(range(1, QUICK["epochs"] + 1))
    assert all(r["loss"] > 0 and r["seconds"] > 0 for r in h)
    model.save(tmp_path / "h.afme")
    with afme.Model.load(tmp_path / "h.afme") as back:
        assert back.history == h


def test_plots_are_written(ds, model, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib not installed: plots untested")
    with afme.Model.train(ds, **dict(QUICK, validate_every=1)) as m:
        assert sum(r["validated"] for r in m.history) == QUICK["epochs"]
        afme.plot_history(m, tmp_path / "history.png")
    png = (tmp_path / "history.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    with afme.Model.train(ds, model="afme", dim=16, negatives=8, batch_size=256, epochs=1, validate_every=0,
                          attention_tokens=2, noise_dim=4, discriminator_hidden=8) as a:
        afme.plot_modality_weights(a, tmp_path / "weights.png")
    assert (tmp_path / "weights.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(afme.InvalidArgumentError):
        afme.plot_history([], tmp_path / "none.png")


def test_a_stopped_run_resumes_bit_for_bit(tmp_path):
    opts = dict(model="rotate", dim=16, negatives=8, batch_size=128, epochs=6, validate_every=2, patience=0,
                threads=2, seed=5)
    with afme.Dataset.synthetic(n_entities=300, n_relations=5) as d:
        with afme.Model.train(d, **opts) as full:
            assert not full.can_resume
            with afme.Model.train(d, progress=lambda r: r["epoch"] < 3, **opts) as stopped:
                assert stopped.can_resume and len(stopped.history) == 3
                stopped.save(tmp_path / "stopped.afme")
            with afme.Model.load(tmp_path / "stopped.afme") as loaded:
                assert loaded.can_resume
                with loaded.resume(d) as resumed:
                    assert [r["loss"] for r in resumed.history] == [r["loss"] for r in full.history]
                    assert resumed.to_bytes() != loaded.to_bytes()
                    np.testing.assert_array_equal(resumed.entity_embeddings(), full.entity_embeddings())
                    assert not resumed.can_resume
                with pytest.raises(afme.InvalidArgumentError, match="ask for more"):
                    loaded.resume(d, epochs=3)
            with pytest.raises(afme.InvalidArgumentError, match="no resume state"):
                full.resume(d)
