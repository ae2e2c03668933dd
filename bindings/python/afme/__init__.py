"""libafme from Python: datasets, training, scoring, top-k, evaluation and checkpoints over ctypes.

Mirrors include/afme.h; NumPy arrays go in and out, errors raise exceptions carrying the library's
message, handles are context managers.
"""
import ctypes as C
import sys

import numpy as np

from ._lib import (ALLREDUCE_FN, AfmeError, AfmeIOError, ArgumentOverflowError, ArgumentTypeError, CancelledError, EpochReport, FormatError, InternalError,
                   InvalidArgumentError, InvalidHandleError, LoadReport, Metrics, NonFiniteError, NotFoundError, NullPointerError,
                   OutOfRangeError, OptionInfo, CollectiveStruct, ParseError, PROGRESS_FN, ShapeError, SyntheticParams, TrainParams,
                   __version__, check, lib)

SPLITS = {"train": 0, "valid": 1, "test": 2}
TIES = {"realistic": 0, "optimistic": 1, "pessimistic": 2, "openke": 3}
SCORE_FUNCTIONS = {"rotate": 0, "transe": 1, "rotate_l2": 2}
MODEL_KINDS = {"structural": 0, "afme": 1, "other": 2}
FUSIONS = {"adaptive": 0, "concat": 1}
GATE_READINGS = {"rotation": 0, "phases": 1}
GUIDE_READINGS = {"projected": 0, "ones": 1}
MISSING_FILLS = {"generator": 0, "random": 1}
_ENUM_FIELDS = {"score_function": SCORE_FUNCTIONS, "validation_ties": TIES, "model_kind": MODEL_KINDS,
                "fusion": FUSIONS, "gate_reading": GATE_READINGS, "guide_reading": GUIDE_READINGS,
                "missing_fill": MISSING_FILLS}
DIRECTIONS = {"tail": 0, "head": 1}


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plotting needs matplotlib (pip install matplotlib)") from e
    return plt


def plot_history(history, path, title=None) -> None:
    """Writes a PNG of a training history (a Model, or Model.history): the loss per epoch and, where
    validations ran, validation MRR and Hits@10 on a second axis. Needs matplotlib."""
    rows = history.history if isinstance(history, Model) else list(history)
    if not rows:
        raise InvalidArgumentError("the history is empty (a model loaded from a file without one?)")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([r["epoch"] for r in rows], [r["loss"] for r in rows], color="tab:blue", label="training loss")
    ax.set_xlabel("epoch"); ax.set_ylabel("mean loss", color="tab:blue")
    validated = [r for r in rows if r["validated"]]
    if validated:
        ax2 = ax.twinx()
        ax2.plot([r["epoch"] for r in validated], [r["valid_mrr"] for r in validated], "o-", color="tab:red", label="valid MRR")
        ax2.plot([r["epoch"] for r in validated], [r["valid_hits10"] for r in validated], "s--", color="tab:orange", label="valid Hits@10")
        ax2.set_ylabel("validation (filtered)", color="tab:red"); ax2.legend(loc="center right")
    ax.set_title(title or "training history")
    fig.tight_layout(); fig.savefig(path, dpi=100); plt.close(fig)


def plot_modality_weights(model, path, title=None) -> None:
    """Writes a PNG of an AFME model's per-relation mean fusion weights (eq. 6): one stacked bar per
    relation, by label when the model carries labels. Needs matplotlib."""
    w = model.modality_weights()
    plt = _pyplot()
    names = list(model.relation_labels) if model.has_labels else [str(i) for i in range(w.shape[0])]
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * w.shape[0] + 2), 4))
    bottom = np.zeros(w.shape[0])
    columns = ["structure"] + [f"modality {i}" for i in range(1, w.shape[1])]
    for j in range(w.shape[1]):
        ax.bar(range(w.shape[0]), w[:, j], bottom=bottom, label=columns[j]); bottom += w[:, j]
    ax.set_xticks(range(w.shape[0])); ax.set_xticklabels(names, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("mean weight"); ax.set_ylim(0, 1); ax.legend(fontsize=8)
    ax.set_title(title or "modality weights per relation")
    fig.tight_layout(); fig.savefig(path, dpi=100); plt.close(fig)


def tune_heap() -> None:
    """Opts this process into the malloc settings AFME trains fastest with (see afme_tune_heap in afme.h).
    Process-wide, so the library never does it by itself; call it early."""
    check(lib.afme_tune_heap())


def _string(fn, *args) -> str:
    """A string from a C getter with the (buffer, size, needed) convention."""
    needed = C.c_size_t()
    check(fn(*args, None, 0, C.byref(needed)))
    buf = C.create_string_buffer(needed.value)
    check(fn(*args, buf, needed.value, None))
    return buf.value.decode("utf-8", "replace")


def version() -> str:
    return lib.afme_version().decode()


def _enum(table, value, what):
    try:
        return table[value.lower()] if isinstance(value, str) else _int(value, what, C.c_int32)
    except KeyError:
        raise InvalidArgumentError(f"{what} must be one of {sorted(table)}, not {value!r}") from None


_INT_RANGES = {C.c_int32: (-2**31, 2**31 - 1), C.c_int64: (-2**63, 2**63 - 1), C.c_uint64: (0, 2**64 - 1),
               C.c_int: (-2**31, 2**31 - 1)}


def _int(value, what, ctype=C.c_int64, minimum=None):
    """A Python integer for a C integer field or argument: bools and integral NumPy scalars pass; floats,
    strings and the like raise ArgumentTypeError; values outside the C type (or below `minimum`) raise
    ArgumentOverflowError / InvalidArgumentError instead of wrapping."""
    if isinstance(value, (bool, np.bool_)):
        value = int(value)
    if not isinstance(value, (int, np.integer)):
        raise ArgumentTypeError(f"{what} must be an integer, not {type(value).__name__} {value!r}")
    value = int(value)
    lo, hi = _INT_RANGES[ctype]
    if not lo <= value <= hi:
        raise ArgumentOverflowError(f"{what} = {value} does not fit the C field ({lo}..{hi})")
    if minimum is not None and value < minimum:
        raise InvalidArgumentError(f"{what} = {value} must be >= {minimum}")
    return value


def _float(value, what):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ArgumentTypeError(f"{what} must be a number, not {type(value).__name__} {value!r}")
    return float(value)


def _set_field(struct, name, value, what):
    """Sets a ctypes struct field after checking the value fits it (ctypes itself wraps silently)."""
    ctype = dict(type(struct)._fields_)[name]
    if ctype in (C.c_float, C.c_double):
        value = _float(value, what)
    else:
        value = _int(value, what, ctype)
    setattr(struct, name, value)


def _id_array(values, what, columns=None):
    """An int64 C-contiguous array of ids. Only integer (or bool) arrays pass: float arrays, which NumPy
    would truncate, and NaN are refused; uint64 values above INT64_MAX are refused, not wrapped."""
    a = np.asarray(values)
    if a.size == 0 and a.dtype.kind == "f":
        a = a.astype(np.int64)
    if a.dtype.kind not in "iub":
        raise ArgumentTypeError(f"{what} must be an integer array, not dtype {a.dtype}")
    if a.dtype.kind == "u" and a.size and a.max() > np.iinfo(np.int64).max:
        raise ArgumentOverflowError(f"{what} holds ids above INT64_MAX")
    a = np.ascontiguousarray(a, dtype=np.int64)
    if columns is not None and (a.ndim != 2 or a.shape[1] != columns):
        raise ShapeError(f"{what} must have shape (n, {columns}), got {a.shape}")
    return a


def _load_options(header, unseen) -> bytes:
    if header not in ("auto", "yes", "no"):
        raise InvalidArgumentError(f"header must be 'auto', 'yes' or 'no', not {header!r}")
    if unseen not in ("drop", "refuse"):
        raise InvalidArgumentError(f"unseen must be 'drop' or 'refuse', not {unseen!r}")
    return f"header={header} unseen={unseen}".encode()


def _triple_array(x, what):
    """[n, 3] from a DataFrame (head / relation / tail columns) or anything array-like; None stays None."""
    if x is None:
        return None
    columns = getattr(x, "columns", None)
    if columns is not None:
        missing = [c for c in ("head", "relation", "tail") if c not in columns]
        if missing:
            raise ShapeError(f"{what}: the DataFrame has no column {missing[0]!r} (columns: {list(columns)})")
        x = np.stack([np.asarray(x[c]) for c in ("head", "relation", "tail")], axis=1)
    a = np.asarray(x)
    if a.ndim != 2 or a.shape[1] != 3:
        raise ShapeError(f"{what} must have shape (n, 3), got {a.shape}")
    return a


def _label(value, what) -> bytes:
    if not isinstance(value, str):
        raise ArgumentTypeError(f"{what} must be a str, not {type(value).__name__}")
    return value.encode("utf-8", "surrogateescape")


def _path(p) -> bytes:
    return p.encode("utf-8", "surrogateescape") if isinstance(p, str) else bytes(p)


class _Handle:
    _free = None

    def __init__(self, handle):
        self._h = handle

    @property
    def handle(self):
        if self._h is None:
            raise InvalidHandleError(f"{type(self).__name__} is closed")
        return self._h

    def close(self):
        if self._h is not None:
            check(type(self)._free(self._h))
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Dataset(_Handle):
    """A knowledge graph: entities, relations, train/valid/test triples and feature modalities."""
    _free = staticmethod(lib.afme_dataset_free)

    @classmethod
    def synthetic(cls, **params) -> "Dataset":
        """The built-in multi-modal graph; keyword arguments override afme_synthetic_default_params()."""
        p = lib.afme_synthetic_default_params()
        for k, v in params.items():
            if k not in dict(SyntheticParams._fields_):
                raise InvalidArgumentError(f"unknown synthetic parameter {k!r}")
            _set_field(p, k, v, k)
        h = C.c_void_p()
        check(lib.afme_dataset_create_synthetic(C.byref(p), C.byref(h)))
        return cls(h)

    @classmethod
    def scale(cls, cache_dir=None, **spec) -> "Dataset":
        """A generated power-law graph (afme_dataset_create_scale): keywords are its spec keys, e.g.
        ``Dataset.scale(entities=4_594_485, relations=822, triples=21_000_000, cache_dir="/data/afme")``.
        With ``cache_dir`` it is generated once and read back by later calls."""
        items = []
        for k, v in spec.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise InvalidArgumentError(f"scale graph option {k!r} must be a number, not {v!r}")
            items.append(f"{k}={v}")
        h = C.c_void_p()
        check(lib.afme_dataset_create_scale(
            " ".join(items).encode(), None if cache_dir is None else _path(cache_dir), C.byref(h)))
        return cls(h)

    @classmethod
    def load_openke(cls, folder) -> "Dataset":
        h = C.c_void_p()
        check(lib.afme_dataset_load_openke(_path(folder), C.byref(h)))
        return cls(h)

    @classmethod
    def from_tsv(cls, train, valid=None, test=None, header="auto", unseen="drop") -> "Dataset":
        """Labeled `head<TAB>relation<TAB>tail` files (gzip accepted). header: 'auto' | 'yes' | 'no';
        unseen: 'drop' (valid/test triples with a label not in train are dropped, see load_report) or 'refuse'."""
        h = C.c_void_p()
        check(lib.afme_dataset_load_tsv(_path(train), None if valid is None else _path(valid),
                                        None if test is None else _path(test), _load_options(header, unseen), C.byref(h)))
        return cls(h)

    @classmethod
    def from_triples(cls, train, valid=None, test=None, unseen="drop", n_entities=None, n_relations=None,
                     entity_labels=None, relation_labels=None) -> "Dataset":
        """Triples from memory: a pandas DataFrame with head / relation / tail columns, or an array [n, 3] of
        labels (strings) or of ids (integers). Labels get ids by first appearance in train; with ids,
        n_entities / n_relations default to the largest id + 1 and labels to "e<id>" / "r<id>"."""
        splits = [_triple_array(x, name) for x, name in ((train, "train"), (valid, "valid"), (test, "test"))]
        kinds = {a.dtype.kind for a in splits if a is not None and a.size}
        h = C.c_void_p()
        if kinds & set("USO"):
            if kinds - set("USO"):
                raise ArgumentTypeError("mix of label and id triples")
            arrays = []
            for a, name in zip(splits, ("train", "valid", "test")):
                flat = [] if a is None else [_label(str(v) if isinstance(v, np.str_) else v, f"{name} label") for v in a.ravel()]
                arrays.append(((C.c_char_p * len(flat))(*flat) if flat else None, len(flat) // 3))
            check(lib.afme_dataset_create_from_labels(arrays[0][0], arrays[0][1], arrays[1][0], arrays[1][1], arrays[2][0],
                                                      arrays[2][1], _load_options("no", unseen), C.byref(h)))
            return cls(h)
        ids = [np.zeros((0, 3), dtype=np.int64) if a is None else _id_array(a, name, columns=3)
               for a, name in zip(splits, ("train", "valid", "test"))]
        every = np.concatenate(ids)
        n_entities = int(max(every[:, 0].max(initial=-1), every[:, 2].max(initial=-1)) + 1) if n_entities is None else n_entities
        n_relations = int(every[:, 1].max(initial=-1) + 1) if n_relations is None else n_relations
        def labels(values, n, what):
            if values is None:
                return None
            values = [_label(str(v), what) for v in values]
            if len(values) != n:
                raise ShapeError(f"{len(values)} {what} for {n} ids")
            return (C.c_char_p * n)(*values)
        ptr = lambda a: a.ctypes.data_as(C.POINTER(C.c_int64)) if a.size else None
        check(lib.afme_dataset_create_from_ids(ptr(ids[0]), ids[0].shape[0], ptr(ids[1]), ids[1].shape[0], ptr(ids[2]),
                                               ids[2].shape[0], _int(n_entities, "n_entities"), _int(n_relations, "n_relations"),
                                               labels(entity_labels, n_entities, "entity labels"),
                                               labels(relation_labels, n_relations, "relation labels"), C.byref(h)))
        return cls(h)

    def split(self, valid: float = 0.1, test: float = 0.1, seed: int = 0) -> "Dataset":
        """A new dataset: this one's training triples split reproducibly into train / valid / test, every
        entity and relation of valid and test kept in train (afme_dataset_split)."""
        h = C.c_void_p()
        check(lib.afme_dataset_split(self.handle, _float(valid, "valid"), _float(test, "test"),
                                     _int(seed, "seed", C.c_uint64, minimum=0), C.byref(h)))
        return Dataset(h)

    @property
    def load_report(self) -> dict:
        """What loading dropped: duplicate_train, unseen_valid, unseen_test."""
        r = LoadReport(size=C.sizeof(LoadReport))
        check(lib.afme_dataset_load_report(self.handle, C.byref(r)))
        return {"duplicate_train": r.duplicate_train, "unseen_valid": r.unseen_valid, "unseen_test": r.unseen_test}

    def add_modality(self, name: str, values, present=None, labels=None, unknown="count") -> int:
        """Adds features (copied as float32). Without `labels`: [n_entities, dim] in id order, `present` a
        bool mask (None = all present). With `labels` (one entity label per row): rows are keyed by label,
        entities without a row are missing; rows with a label the dataset lacks are counted (the return
        value) or, with unknown='refuse', refused."""
        v = np.asarray(values)
        if v.dtype.kind not in "fiub":
            raise ArgumentTypeError(f"features must be numeric, not dtype {v.dtype}")
        v = np.ascontiguousarray(v, dtype=np.float32)
        if v.ndim != 2:
            raise ShapeError(f"features must be 2-D, got shape {v.shape}")
        if labels is not None:
            if present is not None:
                raise InvalidArgumentError("present and labels exclude each other (labels without a row are missing)")
            names = [_label(str(l) if isinstance(l, np.str_) else l, "label") for l in labels]
            if len(names) != v.shape[0]:
                raise ShapeError(f"{len(names)} labels for {v.shape[0]} rows")
            if unknown not in ("count", "refuse"):
                raise InvalidArgumentError(f"unknown must be 'count' or 'refuse', not {unknown!r}")
            n_unknown = C.c_int64()
            check(lib.afme_dataset_add_modality_labeled(self.handle, name.encode(), v.ctypes.data_as(C.POINTER(C.c_float)),
                                                        v.shape[0], v.shape[1], (C.c_char_p * len(names))(*names) if names else None,
                                                        1 if unknown == "refuse" else 0, C.byref(n_unknown)))
            return n_unknown.value
        mask = None
        if present is not None:
            m = np.ascontiguousarray(present, dtype=np.uint8)
            if m.shape != (v.shape[0],):
                raise ShapeError(f"present must have shape ({v.shape[0]},), got {m.shape}")
            mask = m.ctypes.data_as(C.POINTER(C.c_uint8))
        check(lib.afme_dataset_add_modality(self.handle, name.encode(), v.ctypes.data_as(C.POINTER(C.c_float)),
                                            v.shape[0], v.shape[1], mask))
        return 0

    def add_modality_npy(self, name: str, path, missing_ids=()) -> None:
        ids = _id_array(missing_ids, "missing_ids").ravel()
        check(lib.afme_dataset_add_modality_npy(self.handle, name.encode(), _path(path),
                                                ids.ctypes.data_as(C.POINTER(C.c_int64)) if ids.size else None, ids.size))

    def _count(self, fn, *args) -> int:
        out = C.c_int64()
        check(fn(self.handle, *args, C.byref(out)))
        return out.value

    @property
    def n_entities(self) -> int: return self._count(lib.afme_dataset_n_entities)
    @property
    def n_relations(self) -> int: return self._count(lib.afme_dataset_n_relations)
    @property
    def n_modalities(self) -> int: return self._count(lib.afme_dataset_n_modalities)

    def __copy__(self):
        raise ArgumentTypeError("a Dataset cannot be copied (it owns a native handle); load or build another")

    def __deepcopy__(self, memo):
        return self.__copy__()

    def __reduce__(self):
        raise ArgumentTypeError("a Dataset cannot be pickled (it owns a native handle)")

    def n_triples(self, split="train") -> int:
        return self._count(lib.afme_dataset_n_triples, _enum(SPLITS, split, "split"))

    def triples(self, split="train") -> np.ndarray:
        """The split as an int64 array [n, 3] of (head, relation, tail)."""
        s = _enum(SPLITS, split, "split")
        n = self.n_triples(s)
        out = np.empty((n, 3), dtype=np.int64)
        written = C.c_int64()
        check(lib.afme_dataset_get_triples(self.handle, s, out.ctypes.data_as(C.POINTER(C.c_int64)), n, C.byref(written)))
        return out[: written.value]

    def _name(self, fn, i: int) -> str:
        return _string(fn, self.handle, _int(i, "id"))

    def entity_name(self, i: int) -> str: return self._name(lib.afme_dataset_entity_name, i)
    def relation_name(self, i: int) -> str: return self._name(lib.afme_dataset_relation_name, i)


def default_train_params() -> dict:
    """The 0.2.0 struct's defaults (afme_train_default_params); options() is the full table."""
    p = lib.afme_train_default_params()
    return {name: getattr(p, name) for name, _ in TrainParams._fields_}


def options() -> list:
    """The option table: one dict per option (name, type, domain, default, kinds, doc), as afme.h lists it."""
    n = C.c_int64()
    check(lib.afme_option_count(C.byref(n)))
    rows = []
    for i in range(n.value):
        info = OptionInfo(struct_size=C.sizeof(OptionInfo))
        check(lib.afme_option_info_get(i, C.byref(info)))
        rows.append({f: getattr(info, f).decode() for f in ("name", "type", "domain", "default_value", "kinds", "doc")})
    return rows


MODELS = ("rotate", "transe", "rotate_l2", "afme", "adamf_mat", "native", "momok")
# Keywords of the 0.2.0 struct that are experimental.* options now (levers measured as losses).
_RENAMED = {"enhance_all": "experimental.enhance_all", "completion_dropout": "experimental.completion_dropout",
            "synthetic_negative_weight": "experimental.synthetic_negative_weight"}
_OPTIONS = None


def _option_table() -> dict:
    global _OPTIONS
    if _OPTIONS is None:
        _OPTIONS = {o["name"]: o for o in options()}
    return _OPTIONS


def _option_text(name, value) -> str:
    """A Python value as the text afme_params_set takes, checked for its type first (the library checks
    the domain): floats are not silently truncated to ints, bools are not numbers, and so on."""
    spec = _option_table().get(name)
    if spec is None:
        return str(value)  # the library refuses it with the list of valid keys
    t = spec["type"]
    if t in ("int", "uint64"):
        return str(_int(value, name, C.c_uint64 if t == "uint64" else C.c_int64))
    if t == "float":
        return repr(_float(value, name))
    if t == "bool":
        if isinstance(value, (bool, np.bool_)) or (isinstance(value, (int, np.integer)) and int(value) in (0, 1)):
            return "true" if value else "false"
        raise ArgumentTypeError(f"{name} must be True or False, not {value!r}")
    if t == "choice":
        names = spec["domain"].removeprefix("one of ").split(", ")
        if isinstance(value, str):
            return value
        i = _int(value, name, C.c_int32)
        if not 0 <= i < len(names):
            raise InvalidArgumentError(f"{name} must be one of {names}, not {value!r}")
        return names[i]
    return str(value)


class Params(_Handle):
    """Training parameters by name (afme_params): a model kind and every option of the table."""
    _free = staticmethod(lib.afme_params_free)

    def __init__(self, model: str = "rotate", **options):
        h = C.c_void_p()
        check(lib.afme_params_create(str(model).encode(), C.byref(h)))
        super().__init__(h)
        for k, v in options.items():
            self[k] = v

    def __setitem__(self, key, value):
        name = _RENAMED.get(key, key)
        if name.startswith("experimental_"):
            name = "experimental." + name[len("experimental_"):]
        check(lib.afme_params_set(self.handle, name.encode(), _option_text(name, value).encode()))

    def __getitem__(self, key) -> str:
        needed = C.c_size_t()
        check(lib.afme_params_get(self.handle, key.encode(), None, 0, C.byref(needed)))
        buf = C.create_string_buffer(needed.value)
        check(lib.afme_params_get(self.handle, key.encode(), buf, needed.value, None))
        return buf.value.decode()


def _model_kind(model, params: dict) -> str:
    """The kind name from `model` or the 0.2.0 keywords model_kind / score_function."""
    kind = params.pop("model_kind", None)
    if model is not None:
        return model
    if kind is not None and _enum(MODEL_KINDS, kind, "model_kind") == MODEL_KINDS["afme"]:
        return "afme"
    score = params.pop("score_function", "rotate")
    i = _enum(SCORE_FUNCTIONS, score, "score_function")
    names = {v: k for k, v in SCORE_FUNCTIONS.items()}
    if i not in names:
        raise InvalidArgumentError(f"score_function must be one of {sorted(SCORE_FUNCTIONS)}, not {score!r}")
    return names[i]


class _Progress:
    """Drives the C progress callback: a tqdm bar if tqdm is installed, else one plain line per epoch.
    Exceptions inside the user's callback stop training and are re-raised after the C call returns."""

    def __init__(self, epochs, callback, show):
        self.callback, self.error, self.bar = callback, None, None
        self.show = show
        if show:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=epochs, unit="epoch")
            except ImportError:
                self.bar = None
        self.c_fn = PROGRESS_FN(self._call)

    def _call(self, report_ptr, _user):
        try:
            r = report_ptr.contents
            info = {"epoch": r.epoch, "loss": r.mean_loss, "seconds": r.seconds, "validated": bool(r.validated),
                    "valid_mrr": None if r.valid_mrr < 0 else r.valid_mrr,
                    "valid_hits10": None if r.valid_hits10 < 0 else r.valid_hits10}
            if self.bar is not None:
                self.bar.update(1)
                self.bar.set_postfix(loss=f"{r.mean_loss:.4f}", mrr=info["valid_mrr"])
            elif self.show:
                line = f"epoch {r.epoch}: loss {r.mean_loss:.4f}"
                if info["valid_mrr"] is not None:
                    line += f", valid MRR {info['valid_mrr']:.4f}"
                print(line, file=sys.stderr, flush=True)
            if self.callback is not None and self.callback(info) is False:
                return 1
            return 0
        except BaseException as e:  # never let an exception unwind through C
            self.error = e
            return 1

    def close(self):
        if self.bar is not None:
            self.bar.close()


class Collective:
    """This process's place in a data-parallel run (afme.h "Data-parallel training"): `rank` of `size`,
    and `allreduce(values)`, which sums a float32 NumPy array over all ranks in place (every rank calls it
    the same number of times). afme.mpi.MPICollective supplies one over mpi4py; any other transport
    (torch.distributed, threads in a test) can. An exception inside it fails the run with AfmeIOError,
    chained to it."""

    def __init__(self, rank: int, size: int, allreduce):
        self.rank, self.size, self.allreduce = int(rank), int(size), allreduce
        self.error = None
        self._fn = ALLREDUCE_FN(self._call)

    def _call(self, ptr, count, _user):
        try:
            self.allreduce(np.ctypeslib.as_array(ptr, shape=(count,)))
            return 0
        except BaseException as e:  # never let an exception unwind through C
            self.error = e
            return 1

    def _struct(self):
        return CollectiveStruct(C.sizeof(CollectiveStruct), self.rank, self.size, self._fn, None)

    def _raise_from(self, e):
        if self.error is not None:
            error, self.error = self.error, None
            raise e from error
        raise e


class Model(_Handle):
    """A trained model. Scoring, top-k and evaluation are thread-safe."""
    _free = staticmethod(lib.afme_model_free)

    @classmethod
    def train(cls, dataset: Dataset, progress=None, show_progress=False, model=None, collective=None,
              **params) -> "Model":
        """Trains on dataset's train split. `progress(info) -> False` stops early (the model is still returned).
        `model` is a kind name ('rotate', 'transe', 'rotate_l2', 'afme', 'adamf_mat', 'native', 'momok'; the 0.2.0 keywords model_kind and
        score_function still work); keyword arguments are options of the table (afme.options(), afme.h),
        experimental ones as experimental_<name>. Choices take their names (fusion='adaptive'|'concat', ...).
        `collective` (an afme.Collective) makes this process one rank of a data-parallel run."""
        with Params(_model_kind(model, params), **params) as p:
            prog = _Progress(int(p["epochs"]), progress, show_progress)
            if collective is None:
                return cls._run(prog, lambda fn, out: lib.afme_model_train_with(dataset.handle, p.handle, fn, None, out))
            group = collective._struct()
            try:
                return cls._run(prog, lambda fn, out: lib.afme_model_train_distributed(
                    dataset.handle, p.handle, C.byref(group), fn, None, out))
            except AfmeError as e:
                collective._raise_from(e)

    @classmethod
    def _run(cls, prog, call) -> "Model":
        """A training call `call(progress_fn, out_handle)` under `prog`: the model it made, the callback's
        exception re-raised (the model freed), CANCELLED by the callback still a usable model."""
        h = C.c_void_p()
        try:
            status = call(prog.c_fn, C.byref(h))
        finally:
            prog.close()
        model = cls(h) if h.value else None
        if prog.error is not None:
            if model is not None:
                model.close()
            raise prog.error
        if status != 10:
            check(status)
        return model

    @property
    def can_resume(self) -> bool:
        """True if this model comes from a run stopped (by `progress` or the time limit) at the end of an
        epoch: it keeps that run's resume state, saved and loaded with it."""
        out = C.c_int32()
        check(lib.afme_model_can_resume(self.handle, C.byref(out)))
        return bool(out.value)

    def resume(self, dataset: Dataset, epochs=None, progress=None, show_progress=False, collective=None) -> "Model":
        """Continues the interrupted run this model holds on `dataset` (the one it trained on) to `epochs`
        epochs in all (default: the epochs it was asked for): the same losses, validations and weights as
        the uninterrupted run, bit for bit. Returns a new model; this one is unchanged."""
        total = 0 if epochs is None else _int(epochs, "epochs", minimum=1)
        prog = _Progress(total or None, progress, show_progress)
        if collective is None:
            return Model._run(prog, lambda fn, out: lib.afme_model_resume(self.handle, dataset.handle, total, fn, None, out))
        group = collective._struct()
        try:
            return Model._run(prog, lambda fn, out: lib.afme_model_resume_distributed(
                self.handle, dataset.handle, total, C.byref(group), fn, None, out))
        except AfmeError as e:
            collective._raise_from(e)

    @classmethod
    def load(cls, path) -> "Model":
        h = C.c_void_p()
        check(lib.afme_model_load(_path(path), C.byref(h)))
        return cls(h)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Model":
        buf = (C.c_uint8 * len(data)).from_buffer_copy(data)
        h = C.c_void_p()
        check(lib.afme_model_load_from_buffer(buf, len(data), C.byref(h)))
        return cls(h)

    def __copy__(self) -> "Model":
        """A real copy (its own native model, through the checkpoint bytes): closing or collecting one
        never frees the other."""
        return Model.from_bytes(self.to_bytes())

    def __deepcopy__(self, memo) -> "Model":
        return self.__copy__()

    def __reduce__(self):
        return (Model.from_bytes, (self.to_bytes(),))

    def save(self, path) -> None:
        check(lib.afme_model_save(self.handle, _path(path)))

    def to_bytes(self) -> bytes:
        size = C.c_size_t()
        check(lib.afme_model_serialized_size(self.handle, C.byref(size)))
        buf = (C.c_uint8 * size.value)()
        written = C.c_size_t()
        check(lib.afme_model_save_to_buffer(self.handle, buf, size.value, C.byref(written)))
        return bytes(buf[: written.value])

    @property
    def n_entities(self) -> int:
        out = C.c_int64(); check(lib.afme_model_n_entities(self.handle, C.byref(out))); return out.value

    @property
    def n_relations(self) -> int:
        out = C.c_int64(); check(lib.afme_model_n_relations(self.handle, C.byref(out))); return out.value

    @property
    def kind(self) -> str:
        """'structural', 'afme', or 'other' for the kinds after 0.2.0 (kind_name names them)."""
        out = C.c_int32(); check(lib.afme_model_kind_of(self.handle, C.byref(out)))
        return {v: k for k, v in MODEL_KINDS.items()}[out.value]

    @property
    def kind_name(self) -> str:
        """The registry name of the kind: 'rotate', 'transe', 'rotate_l2', 'afme', 'adamf_mat', 'native' or 'momok'."""
        return _string(lib.afme_model_kind_name, self.handle)

    @property
    def modality_names(self) -> list:
        """The feature modalities the model reads, in fusion order (empty for structure-only kinds)."""
        n = C.c_int64()
        check(lib.afme_model_n_modalities(self.handle, C.byref(n)))
        return [_string(lib.afme_model_modality_name, self.handle, i) for i in range(n.value)]

    # ---- Labels ----------------------------------------------------------------------------------
    @property
    def has_labels(self) -> bool:
        """True if the model carries entity and relation labels (every model trained by 0.3.0 does;
        models loaded from 0.2.0 files do not)."""
        out = C.c_int32(); check(lib.afme_model_has_labels(self.handle, C.byref(out))); return bool(out.value)

    def entity_id(self, label: str) -> int:
        """The id of an entity label; NotFoundError (a KeyError) if the model does not know it."""
        out = C.c_int64(); check(lib.afme_model_entity_id(self.handle, _label(label, "label"), C.byref(out))); return out.value

    def relation_id(self, label: str) -> int:
        out = C.c_int64(); check(lib.afme_model_relation_id(self.handle, _label(label, "label"), C.byref(out))); return out.value

    def entity_label(self, i: int) -> str: return _string(lib.afme_model_entity_label, self.handle, _int(i, "id"))
    def relation_label(self, i: int) -> str: return _string(lib.afme_model_relation_label, self.handle, _int(i, "id"))

    def _labels(self):
        """(entity labels, relation labels) as NumPy object arrays, read once per model."""
        cached = getattr(self, "_label_cache", None)
        if cached is None:
            if not self.has_labels:
                raise InvalidArgumentError("the model carries no labels (it was loaded from a 0.2.0 checkpoint); use ids")
            ents = np.array([self.entity_label(i) for i in range(self.n_entities)], dtype=object)
            rels = np.array([self.relation_label(i) for i in range(self.n_relations)], dtype=object)
            cached = (ents, rels, {l: i for i, l in enumerate(ents)}, {l: i for i, l in enumerate(rels)})
            self._label_cache = cached
        return cached

    @property
    def entity_labels(self) -> np.ndarray: return self._labels()[0]

    @property
    def relation_labels(self) -> np.ndarray: return self._labels()[1]

    def _ids(self, values, what, relation=False) -> np.ndarray:
        """Ids from ids or labels: an integer array passes as ids; strings are looked up."""
        a = np.asarray(values)
        if a.dtype.kind in "USO":
            index = self._labels()[3 if relation else 2]
            flat = []
            for v in a.ravel():
                if not isinstance(v, str):
                    raise ArgumentTypeError(f"{what} mixes labels with {type(v).__name__} values")
                if v not in index:
                    raise NotFoundError(f"{what}: no {'relation' if relation else 'entity'} is labelled {v[:80]!r}")
                flat.append(index[v])
            return np.array(flat, dtype=np.int64).reshape(a.shape)
        return _id_array(a, what)

    def _triple_ids(self, triples) -> np.ndarray:
        a = np.asarray(triples)
        if a.dtype.kind not in "USO":
            return _id_array(a, "triples", columns=3)
        if a.ndim != 2 or a.shape[1] != 3:
            raise ShapeError(f"triples must have shape (n, 3), got {a.shape}")
        return np.ascontiguousarray(np.stack([self._ids(a[:, 0], "heads"), self._ids(a[:, 1], "relations", relation=True),
                                              self._ids(a[:, 2], "tails")], axis=1))

    @property
    def history(self) -> list:
        """One dict per epoch trained (epoch, loss, seconds, validated, valid_mrr, valid_hits10; the
        validation values are the latest validation's, None before the first). Kept in checkpoints."""
        n = C.c_int64()
        check(lib.afme_model_history(self.handle, None, 0, C.byref(n)))
        reports = (EpochReport * max(n.value, 1))()
        check(lib.afme_model_history(self.handle, reports, n.value, C.byref(n)))
        return [{"epoch": r.epoch, "loss": r.mean_loss, "seconds": r.seconds, "validated": bool(r.validated),
                 "valid_mrr": None if r.valid_mrr < 0 else r.valid_mrr,
                 "valid_hits10": None if r.valid_hits10 < 0 else r.valid_hits10} for r in reports[: n.value]]

    # ---- Embeddings ------------------------------------------------------------------------------
    def _embeddings(self, fn, rows) -> np.ndarray:
        cols = C.c_int64()
        check(fn(self.handle, None, 0, C.byref(cols)))
        out = np.empty((rows, cols.value), dtype=np.float32)
        check(fn(self.handle, out.ctypes.data_as(C.POINTER(C.c_float)), out.size, C.byref(cols)))
        return out

    def entity_embeddings(self) -> np.ndarray:
        """[n_entities, columns] float32: RotatE kinds [re | im] (2·dim), TransE dim; AFME its structural rows."""
        return self._embeddings(lib.afme_model_entity_embeddings, self.n_entities)

    def relation_embeddings(self) -> np.ndarray:
        """[n_relations, dim] float32: RotatE phases, TransE offsets."""
        return self._embeddings(lib.afme_model_relation_embeddings, self.n_relations)

    def joint_embeddings(self, relation) -> np.ndarray:
        """AFME: [n_entities, columns] fused rows under `relation` (id or label), as the score reads them."""
        r = self.relation_id(relation) if isinstance(relation, str) else _int(relation, "relation")
        cols = C.c_int64()  # the joint rows have the entity rows' layout: ask there (no relation table built)
        check(lib.afme_model_entity_embeddings(self.handle, None, 0, C.byref(cols)))
        out = np.empty((self.n_entities, cols.value), dtype=np.float32)
        check(lib.afme_model_joint_embeddings(self.handle, r, out.ctypes.data_as(C.POINTER(C.c_float)), out.size, C.byref(cols)))
        return out

    def modality_embeddings(self, modality: str, relation):
        """AFME: ([n_entities, columns] float32, [n_entities] bool) — every entity's vector of `modality`
        under `relation` (id or label) as the fusion weighs it, completed by MoIEn where the entity lacks
        the modality, and which rows were completed."""
        if not isinstance(modality, str):
            raise InvalidArgumentError("modality must be a name (str)")
        r = self.relation_id(relation) if isinstance(relation, str) else _int(relation, "relation")
        cols = C.c_int64()
        check(lib.afme_model_entity_embeddings(self.handle, None, 0, C.byref(cols)))
        out = np.empty((self.n_entities, cols.value), dtype=np.float32)
        completed = np.zeros(self.n_entities, dtype=np.uint8)
        check(lib.afme_model_modality_embeddings(self.handle, modality.encode(), r,
                                                 out.ctypes.data_as(C.POINTER(C.c_float)), out.size, C.byref(cols),
                                                 completed.ctypes.data_as(C.POINTER(C.c_uint8)), completed.size))
        return out, completed.astype(bool)

    def modality_weights(self) -> np.ndarray:
        """AFME: [n_relations, 1 + n_modalities] mean fusion weights (structure first, then the dataset's
        modalities in the order they were added); each row sums to 1."""
        cols = C.c_int64()
        check(lib.afme_model_modality_weights(self.handle, None, 0, C.byref(cols)))
        out = np.empty((self.n_relations, cols.value), dtype=np.float32)
        check(lib.afme_model_modality_weights(self.handle, out.ctypes.data_as(C.POINTER(C.c_float)), out.size, C.byref(cols)))
        return out

    def score(self, triples) -> np.ndarray:
        """Scores [n, 3] (head, relation, tail): ids (no copy if already int64 C-contiguous) or labels
        (strings). Each score depends on its own triple and the model only (same bits whatever else is in the call)."""
        t = self._triple_ids(triples)
        out = np.empty(t.shape[0], dtype=np.float32)
        check(lib.afme_model_score(self.handle, t.ctypes.data_as(C.POINTER(C.c_int64)), t.shape[0],
                                   out.ctypes.data_as(C.POINTER(C.c_float))))
        return out

    def topk(self, entity: int, relation: int, k: int = 10, direction="tail", exclude: Dataset = None):
        """The k best (ids, scores) for (entity, relation, ?) or (?, relation, entity).
        AFME: the first query of a relation builds its joint table (see afme.h); group queries by relation.
        Scores equal score() of the completed triples up to float rounding (a few ulp; see afme.h)."""
        d = _enum(DIRECTIONS, direction, "direction")
        entity = self.entity_id(entity) if isinstance(entity, str) else _int(entity, "entity")
        relation = self.relation_id(relation) if isinstance(relation, str) else _int(relation, "relation")
        k = _int(k, "k", minimum=0)
        kk = min(k, self.n_entities)  # the library writes at most one row per entity
        ids = np.empty(kk, dtype=np.int64)
        scores = np.empty(kk, dtype=np.float32)
        n = C.c_int64()
        check(lib.afme_model_topk(self.handle, entity, relation, d, k, exclude.handle if exclude is not None else None,
                                  ids.ctypes.data_as(C.POINTER(C.c_int64)), scores.ctypes.data_as(C.POINTER(C.c_float)),
                                  C.byref(n)))
        return ids[: n.value], scores[: n.value]

    def topk_batch(self, entities, relations, k: int = 10, direction="tail", exclude: Dataset = None, threads: int = 0):
        """The k best candidates of many queries in one call: (ids [n, kk], scores [n, kk], counts [n]),
        kk = min(k, n_entities). `entities`/`relations` are ids or labels; `direction` one value or one
        per query ('tail' = (e, r, ?), 'head' = (?, r, e)). Rows with fewer real candidates (excluded) are
        padded with id -1 and score -inf; counts says how many are real. Each row equals topk() alone."""
        e = np.atleast_1d(self._ids(entities, "entities"))
        r = np.atleast_1d(self._ids(relations, "relations", relation=True))
        if e.ndim != 1 or r.shape != e.shape:
            raise ShapeError(f"entities and relations must be 1-D of one length, got {e.shape} and {r.shape}")
        dirs = np.atleast_1d(np.asarray(direction, dtype=object))
        if dirs.shape == (1,):
            dirs = np.repeat(dirs, e.shape[0])
        if dirs.shape != e.shape:
            raise ShapeError(f"direction must be one value or one per query, got {dirs.shape}")
        d = np.array([_enum(DIRECTIONS, x, "direction") for x in dirs], dtype=np.int64)
        queries = np.ascontiguousarray(np.stack([e, r, d], axis=1).astype(np.int64, copy=False))
        k = _int(k, "k", minimum=0)
        threads = _int(threads, "threads", C.c_int32, minimum=0)
        kk = min(k, self.n_entities)
        ids = np.empty((e.shape[0], kk), dtype=np.int64)
        scores = np.empty((e.shape[0], kk), dtype=np.float32)
        counts = np.empty(e.shape[0], dtype=np.int64)
        check(lib.afme_model_topk_batch(self.handle, queries.ctypes.data_as(C.POINTER(C.c_int64)), e.shape[0], k,
                                        exclude.handle if exclude is not None else None, threads,
                                        ids.ctypes.data_as(C.POINTER(C.c_int64)), scores.ctypes.data_as(C.POINTER(C.c_float)),
                                        ids.size, counts.ctypes.data_as(C.POINTER(C.c_int64))))
        return ids, scores, counts

    def predict(self, entities, relations, k: int = 10, direction="tail", exclude: Dataset = None, known: Dataset = None,
                threads: int = 0, as_frame: bool = None):
        """Top-k predictions by label, one row per (query, candidate), best first: columns query, entity,
        relation, direction, rank, candidate_id, candidate (label), score and, with `known`, in_train /
        in_valid / in_test (is the completed triple a known fact of that split). A pandas DataFrame when
        pandas is installed (as_frame=None) or asked for (as_frame=True); a dict of NumPy arrays otherwise.
        Labels need a model that carries them; ids are used otherwise."""
        ids, scores, counts = self.topk_batch(entities, relations, k, direction, exclude, threads)
        n, kk = ids.shape
        e = np.atleast_1d(self._ids(entities, "entities")); r = np.atleast_1d(self._ids(relations, "relations", relation=True))
        dirs = np.atleast_1d(np.asarray(direction, dtype=object))
        dirs = np.repeat(dirs, n) if dirs.shape == (1,) else dirs
        keep = (np.arange(kk)[None, :] < counts[:, None]).ravel()
        q = np.repeat(np.arange(n), kk)[keep]
        cand = ids.ravel()[keep]
        cols = {"query": q, "entity_id": e[q], "relation_id": r[q], "direction": dirs[q].astype(str),
                "rank": np.tile(np.arange(1, kk + 1), n)[keep], "candidate_id": cand, "score": scores.ravel()[keep]}
        if self.has_labels:
            ents, rels = self._labels()[0], self._labels()[1]
            cols["entity"], cols["relation"], cols["candidate"] = ents[e[q]], rels[r[q]], ents[cand]
        if known is not None:
            tail = cols["direction"] == "tail"
            heads = np.where(tail, cols["entity_id"], cand); tails = np.where(tail, cand, cols["entity_id"])
            for split in ("train", "valid", "test"):
                facts = known.triples(split)
                have = set(zip(facts[:, 0].tolist(), facts[:, 1].tolist(), facts[:, 2].tolist()))
                cols[f"in_{split}"] = np.fromiter(((h, rr, t) in have for h, rr, t in zip(heads.tolist(), cols["relation_id"].tolist(), tails.tolist())),
                                                  dtype=bool, count=len(cand))
        if as_frame is False:
            return cols
        try:
            import pandas as pd
        except ImportError:
            if as_frame:
                raise
            return cols
        return pd.DataFrame(cols)

    def evaluate(self, dataset: Dataset, split="test", ties="realistic", threads: int = 0, sampled: int = 0,
                 seed: int = 0, keep_known: bool = False) -> dict:
        """Filtered MR/MRR/Hits@k: {'both': {...}, 'tail': {...}, 'head': {...}, 'protocol': str}.

        sampled=N ranks each query's truth against N random entities (the OGB wikikg2 protocol) instead of
        every entity: an estimate for graphs too large to rank in full, higher than the full-ranking MRR.
        'protocol' says which was done; keep it next to the numbers. keep_known=True keeps other known
        answers in the sample as competitors (OGB's lists are not filtered)."""
        both, tail, head = Metrics(), Metrics(), Metrics()
        options = lib.afme_eval_default_options()
        options.ties = _enum(TIES, ties, "ties")
        options.threads = _int(threads, "threads", C.c_int32, minimum=0)
        options.sampled_candidates = _int(sampled, "sampled", C.c_int64, minimum=0)
        options.seed = _int(seed, "seed", C.c_uint64, minimum=0)
        options.keep_known = 1 if keep_known else 0
        check(lib.afme_model_evaluate_with(self.handle, dataset.handle, _enum(SPLITS, split, "split"),
                                           C.byref(options), C.byref(both), C.byref(tail), C.byref(head)))
        as_dict = lambda m: {name: getattr(m, name) for name, _ in Metrics._fields_}
        protocol = ("filtered full ranking" if not options.sampled_candidates else
                    f"sampled ranking: {options.sampled_candidates} random candidates per query (OGB wikikg2 "
                    f"protocol), {'unfiltered' if keep_known else 'known answers filtered'}, seed {options.seed}")
        return {"both": as_dict(both), "tail": as_dict(tail), "head": as_dict(head), "protocol": protocol}
