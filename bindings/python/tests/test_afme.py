"""pytest suite for the afme ctypes package (runs against the shipped libafme.so)."""
import os

import numpy as np
import pytest

import afme

FAST = dict(dim=64, epochs=100, learning_rate=0.003, negatives=16, batch_size=256, validate_every=0, seed=1)


@pytest.fixture(scope="module")
def ds():
    with afme.Dataset.synthetic(n_entities=500) as d:
        yield d


@pytest.fixture(scope="module")
def model(ds):
    with afme.Model.train(ds, **FAST) as m:
        yield m


def test_version_matches_package():
    assert afme.version() == afme.__version__


def test_dataset_shapes(ds):
    assert (ds.n_entities, ds.n_relations, ds.n_modalities) == (500, 12, 2)
    t = ds.triples("test")
    assert t.dtype == np.int64 and t.shape == (ds.n_triples("test"), 3)
    assert ds.entity_name(7) == "e7" and ds.relation_name(0) == "r0"


def test_training_beats_random_by_wide_margin(model, ds):
    m = model.evaluate(ds, "test")
    assert m["both"]["mrr"] > 20 * 2 / ds.n_entities
    assert m["both"]["count"] == m["tail"]["count"] + m["head"]["count"]
    assert model.evaluate(ds, "test", ties="openke")["both"]["mrr"] >= m["both"]["mrr"]


def test_sampled_evaluation_is_labeled_and_reproducible(model, ds):
    full = model.evaluate(ds, "test")
    assert full["protocol"] == "filtered full ranking"
    one = model.evaluate(ds, "test", sampled=20, seed=3, threads=1)
    two = model.evaluate(ds, "test", sampled=20, seed=3, threads=2)
    assert one == two
    assert one["protocol"].startswith("sampled ranking: 20 random candidates per query (OGB wikikg2")
    assert "known answers filtered" in one["protocol"]
    # 20 candidates instead of 500: the truth ranks among 21, and higher than among every entity.
    assert one["both"]["mr"] <= 21 and one["both"]["mrr"] > full["both"]["mrr"]
    assert model.evaluate(ds, "test", sampled=20, seed=4) != one
    kept = model.evaluate(ds, "test", sampled=20, seed=3, keep_known=True)
    assert "unfiltered" in kept["protocol"] and kept["both"]["mrr"] <= one["both"]["mrr"]
    with pytest.raises(afme.InvalidArgumentError):
        model.evaluate(ds, "test", sampled=-1)
    with pytest.raises(afme.InvalidArgumentError):
        model.evaluate(ds, "test", sampled=2**24 + 1)


def test_score_and_topk(model, ds):
    t = ds.triples("test")[:5]
    s = model.score(t)
    assert s.shape == (5,) and np.isfinite(s).all()
    ids, scores = model.topk(int(t[0, 0]), int(t[0, 1]), k=7, exclude=ds)
    assert len(ids) == 7 and np.all(np.diff(scores) <= 0)
    known = {tuple(x) for split in ("train", "valid", "test") for x in ds.triples(split)}
    assert all((int(t[0, 0]), int(t[0, 1]), int(i)) not in known for i in ids)


def test_checkpoint_round_trips_bit_identically(model, ds, tmp_path):
    t = ds.triples("test")[:50]
    path = tmp_path / "m.afme"
    model.save(path)
    with afme.Model.load(path) as loaded:
        assert np.array_equal(loaded.score(t), model.score(t))
    data = model.to_bytes()
    with afme.Model.from_bytes(data) as loaded:
        assert np.array_equal(loaded.score(t), model.score(t))
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 1
    with pytest.raises(afme.FormatError, match="checksum"):
        afme.Model.from_bytes(bytes(bad))
    with pytest.raises(afme.FormatError):
        afme.Model.from_bytes(data[:-10])
    with pytest.raises(afme.FormatError, match="magic"):
        afme.Model.from_bytes(b"XXXXXXXX" + data[8:])
    with pytest.raises(afme.AfmeIOError):
        afme.Model.load(tmp_path / "absent.afme")


def test_euclidean_rotate_trains_and_round_trips(ds):
    # eq. 13 read literally (Euclidean norm): learns on the built-in graph, and the kind survives a save.
    with afme.Model.train(ds, **dict(FAST, epochs=40, score_function="rotate_l2")) as m:
        assert m.evaluate(ds, "test")["both"]["mrr"] > 10 * 2 / ds.n_entities
        t = ds.triples("test")[:20]
        with afme.Model.from_bytes(m.to_bytes()) as back:
            assert np.array_equal(back.score(t), m.score(t))
    with pytest.raises(afme.InvalidArgumentError, match="score_function"):
        afme.Model.train(ds, **dict(FAST, score_function="rotate_l3"))


def test_error_paths(model, ds, tmp_path):
    with pytest.raises(afme.OutOfRangeError):
        model.score([[0, 0, 500]])
    with pytest.raises(afme.OutOfRangeError):
        model.topk(0, 99)
    with pytest.raises(afme.ShapeError):
        model.score([[0, 1]])
    with pytest.raises(afme.InvalidArgumentError):
        model.topk(0, 0, k=-1)
    with pytest.raises(afme.InvalidArgumentError):
        model.evaluate(ds, ties="sometimes")
    with pytest.raises(afme.NonFiniteError):
        afme.Model.train(ds, learning_rate=float("nan"))
    with pytest.raises(afme.InvalidArgumentError):
        afme.Model.train(ds, dim=0)
    with pytest.raises(afme.ShapeError):
        ds.add_modality("x", np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(afme.NonFiniteError):
        ds.add_modality("x", np.full((ds.n_entities, 2), np.inf, dtype=np.float32))
    with pytest.raises(afme.AfmeIOError):
        afme.Dataset.load_openke(tmp_path / "nothing-here")
    (tmp_path / "entity2id.txt").write_text("2\na 0\nb 1\n")
    (tmp_path / "relation2id.txt").write_text("1\nr 0\n")
    (tmp_path / "train2id.txt").write_text("1\n0 x 0\n")
    (tmp_path / "valid2id.txt").write_text("0\n")
    (tmp_path / "test2id.txt").write_text("0\n")
    with pytest.raises(afme.ParseError, match=r"train2id.txt:2"):
        afme.Dataset.load_openke(tmp_path)
    with pytest.raises(afme.FormatError):
        (tmp_path / "bad.npy").write_bytes(b"not numpy")
        ds.add_modality_npy("x", tmp_path / "bad.npy")


def test_closed_handles_raise_instead_of_crashing(ds):
    m = afme.Model.train(ds, dim=16, epochs=1, validate_every=0)
    m.close()
    with pytest.raises(afme.InvalidHandleError):
        m.score([[0, 0, 1]])
    m.close()  # idempotent


def test_npy_modality_and_memory_modality(ds, tmp_path):
    with afme.Dataset.synthetic(n_entities=200, text_dim=0, image_dim=0) as d:
        feats = np.random.default_rng(0).normal(size=(200, 8)).astype(np.float16)
        np.save(tmp_path / "f.npy", feats)
        d.add_modality_npy("text", tmp_path / "f.npy", missing_ids=[3, 4])
        d.add_modality("image", feats.astype(np.float32), present=np.arange(200) % 2 == 0)
        assert d.n_modalities == 2
        np.save(tmp_path / "fortran.npy", np.asfortranarray(np.ones((200, 3), dtype=np.float32)))
        with pytest.raises(afme.FormatError, match="Fortran"):
            d.add_modality_npy("x", tmp_path / "fortran.npy")


def test_progress_callback_can_stop(ds):
    seen = []

    def progress(info):
        seen.append(info["epoch"])
        return info["epoch"] < 3

    with afme.Model.train(ds, progress=progress, dim=16, epochs=50, validate_every=0) as m:
        assert seen == [1, 2, 3]
        assert m.n_entities == ds.n_entities


def test_exception_in_callback_propagates_without_crashing(ds):
    def progress(info):
        raise RuntimeError("boom from the callback")

    with pytest.raises(RuntimeError, match="boom"):
        afme.Model.train(ds, progress=progress, dim=16, epochs=50, validate_every=0)


def test_plain_progress_line_without_tqdm(ds, capsys):
    with afme.Model.train(ds, show_progress=True, dim=16, epochs=2, validate_every=0):
        pass
    err = capsys.readouterr().err
    assert "epoch 2" in err or "2/2" in err


def test_afme_trains_reports_weights_and_round_trips(ds):
    with afme.Model.train(ds, model_kind="afme", dim=16, epochs=3, negatives=8, batch_size=256,
                          validate_every=0, attention_layers=1, threads=2, completion_dropout=0.2,
                          synthetic_negative_weight=0.1) as m:
        assert m.kind == "afme"
        w = m.modality_weights()
        assert w.shape == (ds.n_relations, 3)
        assert np.allclose(w.sum(axis=1), 1, atol=1e-4)
        triples = np.array([[0, 0, 1], [2, 1, 3]])
        s = m.score(triples)
        assert np.all(np.isfinite(s))
        with afme.Model.from_bytes(m.to_bytes()) as back:
            assert back.kind == "afme"
            assert np.array_equal(back.score(triples), s)


def test_afme_sampling_and_completion_fields_reach_the_engine(ds):
    # Same seed and settings except one field: if the field were dropped on the way, the scores would be equal.
    base = dict(model_kind="afme", dim=16, epochs=2, negatives=8, batch_size=256, validate_every=0,
                attention_layers=1, threads=1, seed=3)
    triples = np.array([[0, 0, 1], [2, 1, 3], [5, 2, 7]])
    with afme.Model.train(ds, **base) as m:
        reference = m.score(triples)
    for change in (dict(negative_pool=2), dict(completion_mix=False)):
        with afme.Model.train(ds, **base, **change) as m:
            assert not np.array_equal(m.score(triples), reference), change
    with pytest.raises(afme.InvalidArgumentError, match="pool"):
        afme.Model.train(ds, **base, negative_pool=0)


def test_afme_parameters_are_checked(ds):
    with pytest.raises(afme.InvalidArgumentError):
        afme.Model.train(ds, model_kind="afme", dim=16, epochs=1, attention_layers=9)
    with pytest.raises(afme.InvalidArgumentError, match="fusion"):
        afme.Model.train(ds, model_kind="afme", dim=16, epochs=1, fusion="sideways")
    with pytest.raises(afme.InvalidArgumentError, match="dropout"):
        afme.Model.train(ds, model_kind="afme", dim=16, epochs=1, completion_dropout=1.0)
    with pytest.raises(afme.NonFiniteError):
        afme.Model.train(ds, model_kind="afme", dim=16, epochs=1, synthetic_negative_weight=float("nan"))
    with afme.Model.train(ds, dim=16, epochs=1, validate_every=0) as structural:
        assert structural.kind == "structural"
        with pytest.raises(afme.InvalidArgumentError):
            structural.modality_weights()
