"""The second hardening round from Python: values are validated before conversion (no silent truncation or
wrapping), copies of a model are real copies, and the library's verdicts on hostile files and splits."""
import copy
import gc
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import afme

TINY = dict(dim=8, epochs=1, validate_every=0)


@pytest.fixture(scope="module")
def ds():
    with afme.Dataset.synthetic(n_entities=100) as d:
        yield d


@pytest.fixture(scope="module")
def model(ds):
    with afme.Model.train(ds, **TINY) as m:
        yield m


@pytest.mark.parametrize("bad", [np.array([[0.7, 0, 1]]), np.array([[np.nan, 0, 1]]), [[0, 0, 1.5]]])
def test_non_integer_id_arrays_are_refused_not_truncated(model, bad):
    with pytest.raises(afme.ArgumentTypeError) as e:
        model.score(bad)
    assert isinstance(e.value, TypeError) and isinstance(e.value, afme.AfmeError)


def test_strings_are_labels_not_ids(model):
    # Since 0.3.0 a string array holds labels: "0" is looked up as a label (there is none), never parsed as id 0.
    with pytest.raises(afme.NotFoundError, match="'0'"):
        model.score(np.array([["0", "r0", "e1"]]))
    with pytest.raises(afme.ArgumentTypeError):
        model.score(np.array([["e0", "r0", 1]], dtype=object))


def test_uint64_ids_above_int64_are_refused(model):
    with pytest.raises(OverflowError):
        model.score(np.array([[2**63, 0, 1]], dtype=np.uint64))


def test_integer_dtypes_of_any_width_score_alike(model):
    t = np.array([[0, 0, 1], [2, 1, 3]])
    want = model.score(t)
    for dtype in (np.int32, np.int16, np.uint8, np.uint64):
        assert np.array_equal(model.score(t.astype(dtype)), want)


# Options go to the library by name, as text, so nothing wraps: a value outside an option's domain is
# refused there (ValueError, with the domain in the message); one that fits no C integer at all, or is
# of the wrong type, is refused before the call.
@pytest.mark.parametrize("field,value,error", [
    ("dim", 2**32 + 8, ValueError), ("seed", -1, OverflowError), ("threads", 2**40, ValueError),
    ("epochs", 2**31, ValueError), ("dim", 8.0, TypeError), ("gamma", "4", TypeError), ("dim", 2**64, OverflowError),
    ("attention_layers", -1, ValueError), ("model_kind", 2**33, OverflowError), ("enhancement", 2, TypeError),
])
def test_training_fields_are_checked_before_conversion(ds, field, value, error):
    params = dict(TINY, model_kind="afme") if field == "attention_layers" else dict(TINY)
    params[field] = value
    with pytest.raises(error) as e:
        afme.Model.train(ds, **params)
    assert isinstance(e.value, afme.AfmeError)


def test_options_table_and_params_by_name(ds):
    table = {o["name"]: o for o in afme.options()}
    assert table["attention_layers"]["domain"] == "integer in 0...8" and table["attention_layers"]["kinds"] == "afme"
    assert table["dim"]["default_value"] == "250" and "experimental.enhance_all" in table
    p = afme.Params("afme", attention_layers=2, fusion="concat")
    assert (p["attention_layers"], p["fusion"], p["model"]) == ("2", "concat", "afme")
    with pytest.raises(afme.InvalidArgumentError, match="valid options: .*dim"):
        p["no_such_option"] = 1
    with pytest.raises(afme.InvalidArgumentError, match="applies to afme"):
        afme.Params("rotate")["attention_layers"] = 2
    with pytest.raises(afme.InvalidArgumentError, match="kinds are"):
        afme.Params("nope")
    with pytest.raises(afme.NonFiniteError):
        p["denoise_strength"] = float("nan")
    assert p["attention_layers"] == "2", "a refused value leaves the parameters unchanged"
    p.close()


def test_legacy_keywords_and_kind_names_train_the_same_model(ds):
    a = afme.Model.train(ds, score_function="transe", **TINY)
    b = afme.Model.train(ds, model="transe", **TINY)
    t = np.array([[0, 0, 1], [5, 3, 9]])
    assert np.array_equal(a.score(t), b.score(t))


def test_synthetic_fields_are_checked(ds):
    with pytest.raises(afme.InvalidArgumentError, match="feature_noise"):
        afme.Dataset.synthetic(feature_noise=-1)
    with pytest.raises(OverflowError):
        afme.Dataset.synthetic(n_entities=2**64)
    with pytest.raises(TypeError):
        afme.Dataset.synthetic(n_entities=100.0)


def test_topk_counts(model):
    ids, scores = model.topk(0, 0, k=2**62)          # any k >= 0: at most one row per entity
    assert ids.shape == (model.n_entities,) and np.all(np.diff(scores) <= 0)
    with pytest.raises(ValueError):
        model.topk(0, 0, k=-1)
    with pytest.raises(OverflowError):
        model.topk(0, 0, k=2**64)
    with pytest.raises(OverflowError):
        model.topk(2**64, 0)
    with pytest.raises(TypeError):
        model.topk(0.5, 0)
    with pytest.raises(OverflowError):
        model.evaluate(afme.Dataset.synthetic(n_entities=100), threads=2**40)


def test_copies_of_a_model_are_real_copies(ds):
    m = afme.Model.train(ds, **TINY)
    t = np.array([[0, 0, 1], [3, 2, 4]])
    want = m.score(t)
    for c in (copy.copy(m), copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert c.handle != m.handle
        assert np.array_equal(c.score(t), want)
        del c
        gc.collect()
    assert np.array_equal(m.score(t), want), "collecting a copy must not free the original"
    m.close()


def test_datasets_refuse_copies(ds):
    for f in (copy.copy, copy.deepcopy, pickle.dumps):
        with pytest.raises(TypeError):
            f(ds)


def test_stale_handle_is_refused_after_reuse(ds):
    m = afme.Model.train(ds, **TINY)
    raw = m.handle
    data = m.to_bytes()
    m.close()
    others = [afme.Model.from_bytes(data) for _ in range(16)]
    assert all(o.handle != raw for o in others)
    stale = afme.Model(raw)
    with pytest.raises(afme.InvalidHandleError):
        stale.score([[0, 0, 1]])
    stale._h = None
    for o in others:
        o.close()


def test_device_files_and_empty_checkpoints(tmp_path):
    with pytest.raises(afme.AfmeIOError, match="not a regular file"):
        afme.Model.load("/dev/zero")
    empty = tmp_path / "empty.afme"
    empty.write_bytes(b"")
    with pytest.raises(afme.FormatError):
        afme.Model.load(empty)
    with pytest.raises(afme.FormatError):
        afme.Model.from_bytes(b"")


def _folder(path, newline="\n", bom=""):
    path.mkdir()
    files = {"entity2id.txt": ["3", "a 0", "b 1", "c 2"], "relation2id.txt": ["1", "r 0"],
             "train2id.txt": ["2", "0 1 0", "1 2 0"], "valid2id.txt": ["1", "0 2 0"], "test2id.txt": ["1", "2 0 0"]}
    for name, lines in files.items():
        (path / name).write_bytes(((bom if name == "entity2id.txt" else "") + newline.join(lines) + newline).encode())
    return path


def test_crlf_and_bom_read_like_lf(tmp_path):
    a = afme.Dataset.load_openke(_folder(tmp_path / "lf"))
    b = afme.Dataset.load_openke(_folder(tmp_path / "crlf", "\r\n", "\ufeff"))
    assert np.array_equal(a.triples("train"), b.triples("train"))
    assert [b.entity_name(i) for i in range(3)] == ["a", "b", "c"]


def test_long_bad_token_gives_a_short_message(tmp_path):
    d = _folder(tmp_path / "d")
    (d / "train2id.txt").write_bytes(b"1\n0 1 " + b"x" * (5 << 20) + b"\n")
    with pytest.raises(afme.ParseError) as e:
        afme.Dataset.load_openke(d)
    assert len(str(e.value)) < 300 and "train2id.txt:2" in str(e.value)


def test_empty_test_split_is_refused(tmp_path, ds):
    d = _folder(tmp_path / "d")
    (d / "test2id.txt").write_text("0\n")
    g = afme.Dataset.load_openke(d)
    with afme.Model.train(g, dim=4, epochs=1, validate_every=0) as m:
        with pytest.raises(afme.InvalidArgumentError, match="no triples"):
            m.evaluate(g, "test")


def test_concurrent_saves_from_processes(tmp_path, model):
    """Four processes save to one path while this one loads it: every save succeeds, every load is whole."""
    path = tmp_path / "m.afme"
    model.save(path)
    code = ("import afme,sys; m=afme.Model.load(sys.argv[1])\n"
            "for _ in range(15): m.save(sys.argv[1])\n")
    env = dict(os.environ)
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], env=env) for _ in range(4)]
    loads = 0
    while any(p.poll() is None for p in procs):
        with afme.Model.load(path) as m:
            assert m.n_entities == model.n_entities
        loads += 1
    assert all(p.wait() == 0 for p in procs)
    assert not [f for f in os.listdir(tmp_path) if ".afme-tmp-" in f]
