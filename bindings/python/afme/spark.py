"""Batch scoring inside a Spark job: score a DataFrame of triples, or the filtered top-k of a DataFrame of
queries, with a libafme model, through `DataFrame.mapInArrow`.

Optional part of the package: it needs PySpark (with pyarrow) on the driver and the `afme` package on every
executor. The model travels as broadcast checkpoint bytes (a `Model`) or as a path every executor can read
(shared storage); each executor process loads it once and keeps it for every later batch and job. Results
equal `Model.score` / `Model.topk_batch` in one process, bit for bit: every score depends on its own triple
or query and the model only, never on how Spark cut the rows into batches.

    from afme import Model, spark as afme_spark
    model = Model.load("mkgy.afme")
    scored = afme_spark.score(triples_df, model)                 # + column "score"
    best = afme_spark.topk(queries_df, model, k=10, known=train)  # one row per (query, rank)
"""
import hashlib
import threading

import numpy as np

from . import DIRECTIONS, ArgumentTypeError, Dataset, InvalidArgumentError, Model, _int

try:
    import pyarrow as pa
except ImportError as e:  # pragma: no cover - the import error names what to install
    raise ImportError("afme.spark needs pyarrow (pip install pyarrow pyspark)") from e

__all__ = ["score", "topk", "ModelSource"]

# Per-process cache of loaded models and filters, keyed by the source's key: a Spark executor's Python
# worker is reused across tasks (spark.python.worker.reuse, on by default), so each process loads once.
_CACHE = {}
_CACHE_LOCK = threading.Lock()


class ModelSource:
    """What the executors load: checkpoint bytes shipped as a broadcast variable, or a path on storage
    every executor sees. Built by `score`/`topk` from a `Model`, bytes or a path; build one yourself to
    reuse one broadcast across several jobs."""

    def __init__(self, spark_context, model):
        if isinstance(model, Model):
            model = model.to_bytes()
        if isinstance(model, (bytes, bytearray, memoryview)):
            data = bytes(model)
            self.key = "bytes:" + hashlib.sha256(data).hexdigest()
            self._broadcast = spark_context.broadcast(data)
            self._path = None
        elif isinstance(model, str):
            self.key = "path:" + model
            self._broadcast = None
            self._path = model
        else:
            raise ArgumentTypeError(f"model must be an afme.Model, checkpoint bytes or a path, not {type(model).__name__}")

    def load(self) -> Model:
        """The model in this process (loaded on first use, then cached)."""
        with _CACHE_LOCK:
            m = _CACHE.get(self.key)
            if m is None:
                m = Model.from_bytes(self._broadcast.value) if self._broadcast is not None else Model.load(self._path)
                _CACHE[self.key] = m
            return m

    def __getstate__(self):
        return {"key": self.key, "_broadcast": self._broadcast, "_path": self._path}

    def __setstate__(self, state):
        self.__dict__.update(state)


class _KnownFacts:
    """Known true triples for the filter, shipped once as an int64 array; each process builds one Dataset."""

    def __init__(self, spark_context, known, n_entities, n_relations):
        if isinstance(known, Dataset):
            known = np.concatenate([known.triples(s) for s in ("train", "valid", "test")])
        a = np.ascontiguousarray(np.asarray(known, dtype=np.int64))
        if a.ndim != 2 or a.shape[1] != 3:
            raise InvalidArgumentError(f"known must be a Dataset or an (n, 3) array of id triples, got shape {a.shape}")
        self.key = "known:" + hashlib.sha256(a.tobytes()).hexdigest() + f":{n_entities}:{n_relations}"
        self._broadcast = spark_context.broadcast(a)
        self._shape = (n_entities, n_relations)

    def load(self) -> Dataset:
        with _CACHE_LOCK:
            d = _CACHE.get(self.key)
            if d is None:
                d = Dataset.from_triples(self._broadcast.value, n_entities=self._shape[0], n_relations=self._shape[1])
                _CACHE[self.key] = d
            return d


def _source(df, model):
    return model if isinstance(model, ModelSource) else ModelSource(df.sparkSession.sparkContext, model)


def _column(batch, name):
    i = batch.schema.get_field_index(name)
    if i < 0:
        raise InvalidArgumentError(f"the DataFrame has no column {name!r} (columns: {batch.schema.names})")
    return batch.column(i)


def _values(column):
    """A column as an int64 array (ids) or an object array of str (labels)."""
    if pa.types.is_integer(column.type):
        if column.null_count:
            raise InvalidArgumentError("id columns must not hold nulls")
        return column.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        values = column.to_pylist()
        if any(v is None for v in values):
            raise InvalidArgumentError("label columns must not hold nulls")
        return np.array(values, dtype=object)
    raise ArgumentTypeError(f"columns must hold integer ids or string labels, not {column.type}")


def _field_type(df, name):
    fields = {f.name: f for f in df.schema.fields}
    if name not in fields:
        raise InvalidArgumentError(f"the DataFrame has no column {name!r} (columns: {list(fields)})")
    return fields[name].dataType.simpleString()


def score(df, model, head="head", relation="relation", tail="tail", output="score"):
    """`df` with one float column `output` added: the model's score of (head, relation, tail) per row.
    The three columns hold ids (integers) or labels (strings, for a model that carries labels)."""
    src = _source(df, model)
    if output in df.columns:
        raise InvalidArgumentError(f"the DataFrame already has a column {output!r}")
    for c in (head, relation, tail):
        _field_type(df, c)

    def run(batches):
        m = src.load()
        for b in batches:
            t = np.stack([_values(_column(b, c)) for c in (head, relation, tail)], axis=1)
            s = m.score(t) if len(t) else np.empty(0, dtype=np.float32)
            yield pa.RecordBatch.from_arrays(b.columns + [pa.array(s, type=pa.float32())], names=b.schema.names + [output])

    schema = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in df.schema.fields) + f", `{output}` float"
    return df.mapInArrow(run, schema)


def topk(df, model, k=10, entity="entity", relation="relation", direction="tail", known=None):
    """The k best candidates of each query row of `df`, one output row per (query, rank), best first:
    the input columns plus `rank` (1-based), `candidate_id` and `score`, and `candidate` (the label) when
    the model carries labels. `direction` is a column name of `df` holding 'tail'/'head' per row, or one of
    those words for every row. `known`: a Dataset or an (n, 3) id array of true triples to exclude
    (filtered top-k, as `Model.topk_batch(exclude=...)`). A query with fewer than k candidates left (all
    excluded) yields fewer rows."""
    src = _source(df, model)
    k = _int(k, "k", minimum=0)
    for c in (entity, relation):
        _field_type(df, c)
    direction_column = direction in df.columns
    if not direction_column and direction not in DIRECTIONS:
        raise InvalidArgumentError(f"direction must be a column of the DataFrame or one of {list(DIRECTIONS)}, got {direction!r}")
    for c in ("rank", "candidate_id", "score", "candidate"):
        if c in df.columns:
            raise InvalidArgumentError(f"the DataFrame already has a column {c!r}")
    driver_model = src.load()
    labels = driver_model.has_labels
    facts = None
    if known is not None:
        facts = _KnownFacts(df.sparkSession.sparkContext, known, driver_model.n_entities, driver_model.n_relations)

    def run(batches):
        m = src.load()
        exclude = facts.load() if facts is not None else None
        for b in batches:
            e, r = _values(_column(b, entity)), _values(_column(b, relation))
            d = _values(_column(b, direction)) if direction_column else direction
            if len(e) == 0:
                continue
            ids, scores, counts = m.topk_batch(e, r, k=k, direction=d, exclude=exclude, threads=1)
            kk = ids.shape[1]
            keep = (np.arange(kk)[None, :] < counts[:, None]).ravel()
            rows = np.repeat(np.arange(len(e)), kk)[keep]
            cand = ids.ravel()[keep]
            take = pa.array(rows)
            cols = [c.take(take) for c in b.columns]
            cols += [pa.array(np.tile(np.arange(1, kk + 1, dtype=np.int32), len(e))[keep]), pa.array(cand),
                     pa.array(scores.ravel()[keep], type=pa.float32())]
            names = b.schema.names + ["rank", "candidate_id", "score"]
            if labels:
                cols.append(pa.array(m.entity_labels[cand] if len(cand) else [], type=pa.string()))
                names.append("candidate")
            yield pa.RecordBatch.from_arrays(cols, names=names)

    schema = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in df.schema.fields)
    schema += ", `rank` int, `candidate_id` bigint, `score` float" + (", `candidate` string" if labels else "")
    return df.mapInArrow(run, schema)
