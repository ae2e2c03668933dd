"""afme.spark on a local Spark (local[2]): scores and filtered top-k computed in executors equal the
single-process results bit for bit. Skips, saying why, when PySpark or Java is missing or Spark cannot start."""
import os

import numpy as np
import pytest

import afme

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed (pip install pyspark pyarrow)")
pytest.importorskip("pyarrow", reason="pyarrow is not installed (afme.spark moves batches as Arrow)")
from afme import spark as afme_spark  # noqa: E402



@pytest.fixture(scope="module")
def session():
    from pyspark.sql import SparkSession
    try:
        s = (SparkSession.builder.master("local[2]").appName("afme-test")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "4")
             # small Arrow batches: every partition is cut into several batches, so a result that
             # depended on the batching would show
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "37")
             .config("spark.executorEnv.AFME_LIBRARY", os.environ.get("AFME_LIBRARY", ""))
             .getOrCreate())
    except Exception as e:  # Java missing, no loopback, ...
        pytest.skip(f"Spark could not start: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def ds(labeled_graph):
    return labeled_graph


@pytest.fixture(scope="module")
def model(quick_model):
    return quick_model


def _triples_frame(session, triples, labels=None):
    rows = [tuple(int(x) for x in t) for t in triples] if labels is None else labels
    kind = "bigint" if labels is None else "string"
    return session.createDataFrame(rows, f"head {kind}, relation {kind}, tail {kind}").repartition(3)


def test_scores_in_executors_equal_one_process(session, model, ds):
    triples = np.concatenate([ds.triples("test"), ds.triples("valid")])
    df = _triples_frame(session, triples).withColumn("row", pyspark.sql.functions.monotonically_increasing_id())
    scored = afme_spark.score(df, model)
    assert scored.columns == ["head", "relation", "tail", "row", "score"]
    got = scored.collect()
    # rows come back in any order: key each by its triple (the test triples are distinct)
    by_triple = {(r["head"], r["relation"], r["tail"]): r["score"] for r in got}
    assert len(got) == len(triples) and len(by_triple) == len(set(map(tuple, triples.tolist())))
    expected = model.score(triples)
    spark_scores = np.array([by_triple[tuple(t)] for t in triples.tolist()], dtype=np.float32)
    np.testing.assert_array_equal(spark_scores.view(np.uint32), expected.view(np.uint32))


def test_scores_by_label_and_from_a_path_equal_by_id(session, model, ds, tmp_path):
    triples = ds.triples("test")[:60]
    labels = [(ds.entity_name(h), ds.relation_name(r), ds.entity_name(t)) for h, r, t in triples.tolist()]
    path = str(tmp_path / "model.afme")
    model.save(path)
    got = afme_spark.score(_triples_frame(session, None, labels), path).collect()
    by_triple = {(r["head"], r["relation"], r["tail"]): r["score"] for r in got}
    spark_scores = np.array([by_triple[t] for t in labels], dtype=np.float32)
    np.testing.assert_array_equal(spark_scores.view(np.uint32), model.score(triples).view(np.uint32))


def test_filtered_topk_in_executors_equals_topk_batch(session, model, ds):
    rng = np.random.default_rng(3)
    n = 120
    e = rng.integers(0, ds.n_entities, n)
    r = rng.integers(0, ds.n_relations, n)
    d = np.where(rng.random(n) < 0.5, "tail", "head")
    rows = [(i, int(a), int(b), str(c)) for i, (a, b, c) in enumerate(zip(e, r, d))]
    df = session.createDataFrame(rows, "q bigint, entity bigint, relation bigint, direction string").repartition(3)
    known = np.concatenate([ds.triples(s) for s in ("train", "valid", "test")])
    got = afme_spark.topk(df, model, k=5, direction="direction", known=known).collect()
    ids, scores, counts = model.topk_batch(e, r, k=5, direction=d, exclude=ds)
    assert len(got) == int(counts.sum())
    result = {}
    for row in got:
        result.setdefault(row["q"], []).append((row["rank"], row["candidate_id"], row["score"], row["candidate"]))
    for q in range(n):
        ranked = sorted(result.get(q, []))
        assert [x[0] for x in ranked] == list(range(1, counts[q] + 1))
        np.testing.assert_array_equal([x[1] for x in ranked], ids[q, : counts[q]])
        np.testing.assert_array_equal(np.array([x[2] for x in ranked], dtype=np.float32).view(np.uint32),
                                      scores[q, : counts[q]].view(np.uint32))
        assert [x[3] for x in ranked] == [ds.entity_name(int(i)) for i in ids[q, : counts[q]]]


def test_unfiltered_topk_with_one_direction_for_all(session, model, ds):
    df = session.createDataFrame([(int(h), int(r)) for h, r, _ in ds.triples("test")[:30].tolist()],
                                 "entity bigint, relation bigint")
    got = afme_spark.topk(df, model, k=3, direction="head").collect()
    assert len(got) == 90
    first = [row for row in got if row["entity"] == int(ds.triples("test")[0, 0]) and
             row["relation"] == int(ds.triples("test")[0, 1]) and row["rank"] == 1]
    ids, _ = model.topk(int(ds.triples("test")[0, 0]), int(ds.triples("test")[0, 1]), k=3, direction="head")
    assert first and all(row["candidate_id"] == ids[0] for row in first)


def test_bad_requests_are_refused_on_the_driver(session, model):
    df = session.createDataFrame([(1, 0, 2)], "head bigint, relation bigint, tail bigint")
    with pytest.raises(afme.InvalidArgumentError, match="no column 'tail_id'"):
        afme_spark.score(df, model, tail="tail_id")
    with pytest.raises(afme.InvalidArgumentError, match="already has a column 'head'"):
        afme_spark.score(df, model, output="head")
    with pytest.raises(afme.InvalidArgumentError, match="direction must be"):
        afme_spark.topk(df.withColumnRenamed("head", "entity"), model, direction="sideways")
    with pytest.raises(afme.ArgumentTypeError):
        afme_spark.score(df, 42)


def test_an_out_of_range_id_fails_the_job_with_the_library_message(session, model):
    df = session.createDataFrame([(1, 0, 10**6)], "head bigint, relation bigint, tail bigint")
    with pytest.raises(Exception, match="out of range|OutOfRange|entity"):
        afme_spark.score(df, model).collect()

