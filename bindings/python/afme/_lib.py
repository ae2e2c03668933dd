"""The one place libafme.so is loaded. Declares every function of include/afme.h, in its order and
groups, and maps each afme_status to an exception class."""
import ctypes as C
import os
import pathlib
from . import _cpu

__version__ = "0.3.0"

# ---- Library: status codes and errors -------------------------------------------------------------
AFME_OK = 0


class AfmeError(Exception):
    """Base class; `status` is the afme_status code, the message comes from afme_last_error()."""
    status = -1


class NullPointerError(AfmeError, ValueError): status = 1
class InvalidArgumentError(AfmeError, ValueError): status = 2
class OutOfRangeError(AfmeError, IndexError): status = 3
class InvalidHandleError(AfmeError, ValueError): status = 4
class AfmeIOError(AfmeError, OSError): status = 5
class ParseError(AfmeError, ValueError): status = 6
class FormatError(AfmeError, ValueError): status = 7
class ShapeError(AfmeError, ValueError): status = 8
class NonFiniteError(AfmeError, ValueError): status = 9
class CancelledError(AfmeError): status = 10
class InternalError(AfmeError): status = 11
class NotFoundError(AfmeError, KeyError):
    """A label the model does not know."""
    status = 12

    def __str__(self):  # KeyError would quote the message
        return Exception.__str__(self)


# Refusals made in Python before anything reaches C (same status as the library's INVALID_ARGUMENT),
# also catchable as the built-in exception a Python programmer expects.
class ArgumentTypeError(InvalidArgumentError, TypeError): pass
class ArgumentOverflowError(InvalidArgumentError, OverflowError): pass


_ERRORS = {cls.status: cls for cls in (NullPointerError, InvalidArgumentError, OutOfRangeError, InvalidHandleError,
                                        AfmeIOError, ParseError, FormatError, ShapeError, NonFiniteError,
                                        CancelledError, InternalError, NotFoundError)}


def _find_library() -> str:
    env = os.environ.get("AFME_LIBRARY")
    if env:
        return env
    here = pathlib.Path(__file__).resolve().parent
    beside = here / "libafme.so"
    if beside.exists():
        return str(beside)
    for parent in here.parents:                      # a source checkout: <repo>/.build/release/libafme.so
        candidate = parent / ".build" / "release" / "libafme.so"
        if candidate.exists():
            return str(candidate)
    raise ImportError("libafme.so not found: set AFME_LIBRARY, install it beside the afme package, "
                      "or build it in the repository (source scripts/common.sh && build_library)")


_LIBRARY_PATH = _find_library()
_cpu.check(pathlib.Path(_LIBRARY_PATH))
_LIB = C.CDLL(_LIBRARY_PATH)

# ---- Structs (field order and types exactly as in afme.h) ----------------------------------------
class SyntheticParams(C.Structure):
    _fields_ = [("n_entities", C.c_int64), ("n_relations", C.c_int64), ("facts_per_entity", C.c_int64),
                ("text_dim", C.c_int64), ("image_dim", C.c_int64), ("text_missing", C.c_float),
                ("image_missing", C.c_float), ("feature_noise", C.c_float), ("seed", C.c_uint64)]


class TrainParams(C.Structure):
    _fields_ = [("score_function", C.c_int32), ("dim", C.c_int32), ("gamma", C.c_float), ("epsilon", C.c_float),
                ("negatives", C.c_int32), ("batch_size", C.c_int32), ("epochs", C.c_int32),
                ("learning_rate", C.c_float), ("adversarial_temperature", C.c_float), ("l2", C.c_float),
                ("seed", C.c_uint64), ("threads", C.c_int32), ("validate_every", C.c_int32), ("patience", C.c_int32),
                ("validation_ties", C.c_int32), ("validation_limit", C.c_int32), ("time_limit_seconds", C.c_double),
                ("bernoulli_negatives", C.c_int32), ("filter_negatives", C.c_int32),
                ("model_kind", C.c_int32), ("fusion", C.c_int32), ("enhancement", C.c_int32), ("denoising", C.c_int32),
                ("denoise_strength", C.c_float), ("confidence", C.c_int32), ("relation_smoothing", C.c_int32),
                ("attention_layers", C.c_int32), ("attention_tokens", C.c_int32), ("noise_dim", C.c_int32),
                ("gate_reading", C.c_int32), ("guide_reading", C.c_int32), ("intermodal_includes_self", C.c_int32),
                ("missing_fill", C.c_int32), ("lambda_adversarial", C.c_float), ("lambda_penalty", C.c_float),
                ("penalty_weight", C.c_float), ("generator_learning_rate", C.c_float),
                ("discriminator_learning_rate", C.c_float), ("adversarial_samples", C.c_int32),
                ("discriminator_hidden", C.c_int32), ("enhance_all", C.c_int32),
                ("completion_dropout", C.c_float), ("synthetic_negative_weight", C.c_float),
                ("noise_scale", C.c_float), ("completion_mix", C.c_int32), ("negative_pool", C.c_int32),
                ("placement_neighbors", C.c_int32), ("placement_keep", C.c_float)]


class EpochReport(C.Structure):
    _fields_ = [("epoch", C.c_int32), ("mean_loss", C.c_float), ("seconds", C.c_double), ("validated", C.c_int32),
                ("valid_mrr", C.c_double), ("valid_hits10", C.c_double)]


class Metrics(C.Structure):
    _fields_ = [("count", C.c_int64), ("mr", C.c_double), ("mrr", C.c_double), ("hits1", C.c_double),
                ("hits3", C.c_double), ("hits10", C.c_double)]


class EvalOptions(C.Structure):
    _fields_ = [("struct_size", C.c_uint64), ("ties", C.c_int32), ("threads", C.c_int32),
                ("sampled_candidates", C.c_int64), ("seed", C.c_uint64), ("keep_known", C.c_int32),
                ("reserved", C.c_int32)]


class CommonParams(C.Structure):
    _fields_ = [("struct_size", C.c_uint64), ("dim", C.c_int32), ("negatives", C.c_int32), ("batch_size", C.c_int32),
                ("epochs", C.c_int32), ("gamma", C.c_float), ("epsilon", C.c_float), ("learning_rate", C.c_float),
                ("adversarial_temperature", C.c_float), ("l2", C.c_float), ("threads", C.c_int32), ("seed", C.c_uint64),
                ("validate_every", C.c_int32), ("patience", C.c_int32), ("validation_ties", C.c_int32),
                ("validation_limit", C.c_int32), ("time_limit_seconds", C.c_double)]


class LoadReport(C.Structure):
    _fields_ = [("size", C.c_size_t), ("duplicate_train", C.c_int64), ("unseen_valid", C.c_int64), ("unseen_test", C.c_int64)]


class OptionInfo(C.Structure):
    _fields_ = [("struct_size", C.c_uint64), ("name", C.c_char_p), ("type", C.c_char_p), ("domain", C.c_char_p),
                ("default_value", C.c_char_p), ("kinds", C.c_char_p), ("doc", C.c_char_p)]


PROGRESS_FN = C.CFUNCTYPE(C.c_int, C.POINTER(EpochReport), C.c_void_p)
ALLREDUCE_FN = C.CFUNCTYPE(C.c_int, C.POINTER(C.c_float), C.c_int64, C.c_void_p)


class CollectiveStruct(C.Structure):
    _fields_ = [("struct_size", C.c_uint64), ("rank", C.c_int32), ("world_size", C.c_int32),
                ("allreduce_sum", ALLREDUCE_FN), ("user_data", C.c_void_p)]

_p = C.c_void_p
_i64p = C.POINTER(C.c_int64)
_f32p = C.POINTER(C.c_float)
_u8p = C.POINTER(C.c_uint8)
_status = C.c_int

_SIGNATURES = [
    # Library
    ("afme_version", C.c_char_p, []),
    ("afme_last_error", C.c_char_p, []),
    ("afme_tune_heap", _status, []),
    # Dataset
    ("afme_synthetic_default_params", SyntheticParams, []),
    ("afme_dataset_create_synthetic", _status, [C.POINTER(SyntheticParams), C.POINTER(_p)]),
    ("afme_dataset_load_openke", _status, [C.c_char_p, C.POINTER(_p)]),
    ("afme_dataset_create_scale", _status, [C.c_char_p, C.c_char_p, C.POINTER(_p)]),
    ("afme_dataset_add_modality", _status, [_p, C.c_char_p, _f32p, C.c_int64, C.c_int64, _u8p]),
    ("afme_dataset_add_modality_npy", _status, [_p, C.c_char_p, C.c_char_p, _i64p, C.c_int64]),
    ("afme_dataset_n_entities", _status, [_p, _i64p]),
    ("afme_dataset_n_relations", _status, [_p, _i64p]),
    ("afme_dataset_n_triples", _status, [_p, C.c_int, _i64p]),
    ("afme_dataset_n_modalities", _status, [_p, _i64p]),
    ("afme_dataset_get_triples", _status, [_p, C.c_int, _i64p, C.c_int64, _i64p]),
    ("afme_dataset_entity_name", _status, [_p, C.c_int64, C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t)]),
    ("afme_dataset_relation_name", _status, [_p, C.c_int64, C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t)]),
    ("afme_dataset_load_tsv", _status, [C.c_char_p, C.c_char_p, C.c_char_p, C.c_char_p, C.POINTER(_p)]),
    ("afme_dataset_create_from_labels", _status, [_p, C.c_int64, _p, C.c_int64, _p, C.c_int64, C.c_char_p, C.POINTER(_p)]),
    ("afme_dataset_create_from_ids", _status, [_i64p, C.c_int64, _i64p, C.c_int64, _i64p, C.c_int64, C.c_int64, C.c_int64,
                                               _p, _p, C.POINTER(_p)]),
    ("afme_dataset_split", _status, [_p, C.c_double, C.c_double, C.c_uint64, C.POINTER(_p)]),
    ("afme_dataset_add_modality_labeled", _status, [_p, C.c_char_p, _f32p, C.c_int64, C.c_int64, _p, C.c_int32, _i64p]),
    ("afme_dataset_load_report", _status, [_p, _p]),
    ("afme_dataset_free", _status, [_p]),
    # Model
    ("afme_train_default_params", TrainParams, []),
    ("afme_model_train", _status, [_p, C.POINTER(TrainParams), PROGRESS_FN, _p, C.POINTER(_p)]),
    ("afme_params_create", _status, [C.c_char_p, C.POINTER(_p)]),
    ("afme_params_free", _status, [_p]),
    ("afme_params_set", _status, [_p, C.c_char_p, C.c_char_p]),
    ("afme_params_set_string", _status, [_p, C.c_char_p]),
    ("afme_params_get", _status, [_p, C.c_char_p, C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t)]),
    ("afme_common_default_params", CommonParams, []),
    ("afme_params_set_common", _status, [_p, C.POINTER(CommonParams)]),
    ("afme_option_count", _status, [_i64p]),
    ("afme_option_info_get", _status, [C.c_int64, C.POINTER(OptionInfo)]),
    ("afme_model_train_with", _status, [_p, _p, PROGRESS_FN, _p, C.POINTER(_p)]),
    ("afme_model_can_resume", _status, [_p, C.POINTER(C.c_int32)]),
    ("afme_model_resume", _status, [_p, _p, C.c_int64, PROGRESS_FN, _p, C.POINTER(_p)]),
    ("afme_model_train_distributed", _status, [_p, _p, C.POINTER(CollectiveStruct), PROGRESS_FN, _p, C.POINTER(_p)]),
    ("afme_model_resume_distributed", _status, [_p, _p, C.c_int64, C.POINTER(CollectiveStruct), PROGRESS_FN, _p,
                                                C.POINTER(_p)]),
    ("afme_model_n_entities", _status, [_p, _i64p]),
    ("afme_model_n_relations", _status, [_p, _i64p]),
    ("afme_model_score", _status, [_p, _i64p, C.c_int64, _f32p]),
    ("afme_model_topk", _status, [_p, C.c_int64, C.c_int64, C.c_int, C.c_int64, _p, _i64p, _f32p, _i64p]),
    ("afme_model_evaluate", _status, [_p, _p, C.c_int, C.c_int, C.c_int32, C.POINTER(Metrics), C.POINTER(Metrics),
                                      C.POINTER(Metrics)]),
    ("afme_eval_default_options", EvalOptions, []),
    ("afme_model_evaluate_with", _status, [_p, _p, C.c_int, C.POINTER(EvalOptions), C.POINTER(Metrics),
                                           C.POINTER(Metrics), C.POINTER(Metrics)]),
    ("afme_model_kind_of", _status, [_p, C.POINTER(C.c_int32)]),
    ("afme_model_modality_weights", _status, [_p, C.POINTER(C.c_float), C.c_int64, _i64p]),
    ("afme_model_topk_batch", _status, [_p, _i64p, C.c_int64, C.c_int64, _p, C.c_int32, _i64p, _f32p, C.c_int64, _i64p]),
    ("afme_model_kind_name", _status, [_p, C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t)]),
    ("afme_model_n_modalities", _status, [_p, _i64p]),
    ("afme_model_modality_name", _status, [_p, C.c_int64, C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t)]),
    ("afme_model_has_labels", _status, [_p, C.POINTER(C.c_int32)]),
    ("afme_model_entity_id", _status, [_p, C.c_char_p, _i64p]),
    ("afme_model_relation_id", _status, [_p, C.c_char_p, _i64p]),
    ("afme_model_entity_label", _status, [_p, C.c_int64, C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t)]),
    ("afme_model_relation_label", _status, [_p, C.c_int64, C.c_char_p, C.c_size_t, C.POINTER(C.c_size_t)]),
    ("afme_model_entity_embeddings", _status, [_p, _f32p, C.c_int64, _i64p]),
    ("afme_model_relation_embeddings", _status, [_p, _f32p, C.c_int64, _i64p]),
    ("afme_model_joint_embeddings", _status, [_p, C.c_int64, _f32p, C.c_int64, _i64p]),
    ("afme_model_modality_embeddings", _status,
     [_p, C.c_char_p, C.c_int64, _f32p, C.c_int64, _i64p, _u8p, C.c_int64]),
    ("afme_model_history", _status, [_p, C.POINTER(EpochReport), C.c_int64, _i64p]),
    ("afme_model_free", _status, [_p]),
    # Checkpoint
    ("afme_model_save", _status, [_p, C.c_char_p]),
    ("afme_model_load", _status, [C.c_char_p, C.POINTER(_p)]),
    ("afme_model_serialized_size", _status, [_p, C.POINTER(C.c_size_t)]),
    ("afme_model_save_to_buffer", _status, [_p, _u8p, C.c_size_t, C.POINTER(C.c_size_t)]),
    ("afme_model_load_from_buffer", _status, [_u8p, C.c_size_t, C.POINTER(_p)]),
]

for _name, _restype, _argtypes in _SIGNATURES:
    _fn = getattr(_LIB, _name)
    _fn.restype = _restype
    _fn.argtypes = _argtypes

_library_version = _LIB.afme_version().decode()
if _library_version != __version__:
    raise ImportError(f"libafme.so is version {_library_version}, this package is {__version__}")


def check(status: int) -> None:
    """Raises the exception class of `status` with the library's message."""
    if status != AFME_OK:
        message = _LIB.afme_last_error().decode("utf-8", "replace")
        raise _ERRORS.get(status, AfmeError)(message)


lib = _LIB
