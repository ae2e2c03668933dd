"""Data in as pipelines hold it: labeled TSV (plain and gzip), arrays and DataFrames, splits, features by label."""
import gzip
import zlib

import numpy as np
import pytest

import afme

QUICK = dict(dim=32, negatives=16, batch_size=128, epochs=100, validate_every=0, seed=2, learning_rate=0.01)


def labeled(ds, split):
    return [(ds.entity_name(h), ds.relation_name(r), ds.entity_name(t)) for h, r, t in ds.triples(split)]


@pytest.fixture(scope="module")
def source():
    with afme.Dataset.synthetic(n_entities=200, n_relations=4) as d:
        yield d


def write_tsv(path, rows, header=False, compress=None):
    text = ("head\trelation\ttail\n" if header else "") + "".join(f"{h}\t{r}\t{t}\n" for h, r, t in rows)
    data = text.encode()
    if compress is None:
        path.write_bytes(data)
    else:
        path.write_bytes(gzip.compress(data, compresslevel=compress))
    return path


def test_tsv_round_trip_with_header_and_gzip(source, tmp_path):
    train, valid, test = (labeled(source, s) for s in ("train", "valid", "test"))
    plain = afme.Dataset.from_tsv(write_tsv(tmp_path / "train.tsv", train, header=True),
                                  write_tsv(tmp_path / "valid.tsv", valid), write_tsv(tmp_path / "test.tsv", test))
    # Every compression level (0 = stored blocks, 1 = fixed codes mostly, 9 = dynamic codes), and two members.
    for level in (0, 1, 6, 9):
        g = afme.Dataset.from_tsv(write_tsv(tmp_path / f"train{level}.tsv.gz", train, compress=level),
                                  write_tsv(tmp_path / f"valid{level}.tsv.gz", valid, compress=level), tmp_path / "test.tsv")
        np.testing.assert_array_equal(g.triples("train"), plain.triples("train"))
        np.testing.assert_array_equal(g.triples("valid"), plain.triples("valid"))
    half = len(train) // 2
    text = [("".join(f"{h}\t{r}\t{t}\n" for h, r, t in part)).encode() for part in (train[:half], train[half:])]
    (tmp_path / "two.gz").write_bytes(gzip.compress(text[0]) + gzip.compress(text[1]))
    np.testing.assert_array_equal(afme.Dataset.from_tsv(tmp_path / "two.gz").triples("train"), plain.triples("train"))
    assert plain.n_triples("train") == len(set(train))
    # Ids by first appearance; the labels are the source's.
    h, r, t = plain.triples("train")[0]
    assert (plain.entity_name(h), plain.relation_name(r), plain.entity_name(t)) == train[0]
    assert plain.load_report == {"duplicate_train": 0, "unseen_valid": 0, "unseen_test": 0}


def test_a_model_trained_from_tsv_answers_by_name(source, tmp_path):
    train, test = labeled(source, "train"), labeled(source, "test")
    with afme.Dataset.from_tsv(write_tsv(tmp_path / "t.tsv", train), None, write_tsv(tmp_path / "s.tsv", test)) as ds, \
            afme.Model.train(ds, **QUICK) as m:
        mrr = m.evaluate(ds, "test")["both"]["mrr"]
        random = sum(1 / k for k in range(1, ds.n_entities + 1)) / ds.n_entities
        assert mrr > 5 * random, (mrr, random)            # far above random
        print(f"MRR {mrr:.3f}, random {random:.3f}")
        h, r, t = test[0]
        df = m.predict([h], [r], k=5, exclude=ds, known=ds, as_frame=False)
        assert all(isinstance(c, str) for c in df["candidate"])
        m.save(tmp_path / "m.afme")
    with afme.Model.load(tmp_path / "m.afme") as served:      # one file is enough to serve by name
        assert served.entity_id(h) >= 0 and served.score([[h, r, t]]).shape == (1,)


def test_bad_tsv_is_refused_precisely(tmp_path):
    def refused(text, exc, *fragments, **kw):
        p = tmp_path / "bad.tsv"
        p.write_bytes(text)
        with pytest.raises(exc) as e:
            afme.Dataset.from_tsv(p, **kw)
        for f in fragments:
            assert f in str(e.value), str(e.value)
    refused(b"a\tr\tb\nc\tr\n", afme.ParseError, "bad.tsv:2", "found 2")
    refused(b"a\tr\tb\nc\t\td\n", afme.ParseError, "bad.tsv:2", "relation", "empty")
    refused(b"a\tr\tb\n\xff\tr\tb\n", afme.ParseError, "bad.tsv:2")
    refused(b"head\trelation\ttail\n", afme.ParseError, "no training triples")
    refused(gzip.compress(b"a\tr\tb\n")[:-6], afme.FormatError, "gzip")
    corrupt = bytearray(gzip.compress(b"a\tr\tb\n" * 50)); corrupt[-8] ^= 1
    refused(bytes(corrupt), afme.FormatError, "CRC")
    refused(b"a\tr\tb\n", afme.InvalidArgumentError, "header", header="maybe")
    with pytest.raises(afme.AfmeIOError):
        afme.Dataset.from_tsv(tmp_path / "absent.tsv")


def test_unseen_labels_dropped_or_refused(tmp_path):
    train = write_tsv(tmp_path / "train.tsv", [("a", "r", "b"), ("b", "r", "c")])
    test = write_tsv(tmp_path / "test.tsv", [("a", "r", "c"), ("a", "r", "zz"), ("a", "q", "b")])
    ds = afme.Dataset.from_tsv(train, None, test)
    assert ds.n_triples("test") == 1 and ds.load_report["unseen_test"] == 2
    with pytest.raises(afme.OutOfRangeError, match=r"test.tsv:2.*'zz'"):
        afme.Dataset.from_tsv(train, None, test, unseen="refuse")


def test_from_arrays_and_dataframes(source):
    train, valid = labeled(source, "train"), labeled(source, "valid")
    by_label = afme.Dataset.from_triples(np.array(train), np.array(valid))
    np.testing.assert_array_equal(by_label.triples("train")[:5], afme.Dataset.from_triples(train, valid).triples("train")[:5])
    ids = source.triples("train")
    by_id = afme.Dataset.from_triples(ids, source.triples("valid"), n_entities=source.n_entities,
                                      entity_labels=[source.entity_name(i) for i in range(source.n_entities)])
    np.testing.assert_array_equal(by_id.triples("train"), ids)
    assert by_id.entity_name(3) == source.entity_name(3) and by_id.relation_name(0) == "r0"
    with pytest.raises(afme.OutOfRangeError):
        afme.Dataset.from_triples(ids, n_entities=5)
    with pytest.raises(afme.AfmeError, match="names both"):
        afme.Dataset.from_triples([[0, 0, 1]], entity_labels=["x", "x"])
    pd = pytest.importorskip("pandas", reason="pandas not installed: DataFrame input untested")
    df = pd.DataFrame(train, columns=["head", "relation", "tail"])
    np.testing.assert_array_equal(afme.Dataset.from_triples(df).triples("train"), by_label.triples("train"))
    with pytest.raises(afme.ShapeError, match="'tail'"):
        afme.Dataset.from_triples(df.rename(columns={"tail": "object"}))


def test_split_is_reproducible_and_keeps_valid_test_in_train(source):
    a, b = source.split(0.1, 0.1, seed=3), source.split(0.1, 0.1, seed=3)
    np.testing.assert_array_equal(a.triples("test"), b.triples("test"))
    assert not np.array_equal(a.triples("test"), source.split(0.1, 0.1, seed=4).triples("test"))
    n = source.n_triples("train")
    assert a.n_triples("train") + a.n_triples("valid") + a.n_triples("test") == n
    assert abs(a.n_triples("valid") - round(0.1 * n)) <= 0.02 * n
    train = a.triples("train")
    seen_e, seen_r = set(train[:, 0]) | set(train[:, 2]), set(train[:, 1])
    for s in ("valid", "test"):
        t = a.triples(s)
        assert set(t[:, 0]) <= seen_e and set(t[:, 2]) <= seen_e and set(t[:, 1]) <= seen_r
    assert a.n_modalities == source.n_modalities
    with pytest.raises(afme.InvalidArgumentError):
        source.split(0.6, 0.5)


def test_features_keyed_by_label(tmp_path):
    ds = afme.Dataset.from_triples([("a", "r", "b"), ("b", "r", "c"), ("c", "r", "a")])
    rows = np.arange(12, dtype=np.float32).reshape(4, 3)
    assert ds.add_modality("text", rows, labels=["c", "a", "nobody", "b"]) == 1
    assert ds.n_modalities == 1
    with pytest.raises(afme.OutOfRangeError, match="nobody"):
        ds.add_modality("image", rows, labels=["c", "a", "nobody", "b"], unknown="refuse")
    with pytest.raises(afme.OutOfRangeError, match="two rows"):
        ds.add_modality("image", rows[:2], labels=["a", "a"])
    assert ds.n_modalities == 1, "a refused modality leaves the dataset unchanged"
    assert ds.add_modality("partial", rows[:1], labels=["b"]) == 0   # a and c missing: normal


def test_duplicate_openke_names_are_refused(tmp_path):
    d = tmp_path / "kg"; d.mkdir()
    (d / "entity2id.txt").write_text("2\nParis\t0\nParis\t1\n")
    (d / "relation2id.txt").write_text("1\nr\t0\n")
    for f in ("train2id.txt", "valid2id.txt", "test2id.txt"):
        (d / f).write_text("1\n0 1 0\n")
    with pytest.raises(afme.ParseError, match="Paris.*twice"):
        afme.Dataset.load_openke(d)
