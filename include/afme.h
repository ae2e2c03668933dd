/**
 * @file afme.h
 * @brief libafme: link prediction on multi-modal knowledge graphs (C API).
 *
 * Conventions
 * - Every function returns an ::afme_status, except afme_version() and afme_last_error(), which
 *   return strings with static / thread-local lifetime.
 * - On failure, afme_last_error() returns a message for the calling thread; outputs are untouched.
 * - Objects are opaque handles with a create/free pair. Freeing NULL is a no-op returning AFME_OK.
 *   A handle is a token, not an address, and no token is issued twice in a process: freeing or using an
 *   already-freed handle, a handle of the other type or a forged one is refused with
 *   AFME_ERR_INVALID_HANDLE, also after the freed object's memory has been reused.
 * - Files are read only if they are regular files (a device, FIFO or socket, or a link to one, is refused
 *   with AFME_ERR_IO), of at most 16 GiB, and never past the size they had when opened.
 * - Text files (OpenKE) may end lines in "\n" or "\r\n"; a UTF-8 byte-order mark at the start of a file
 *   is skipped; a line that is not valid UTF-8 is refused with AFME_ERR_PARSE and its line number.
 * - Arrays are pointer + length. Ids are int64_t in [0, count).
 * - Thread safety is stated per function under @note.
 */
#ifndef AFME_H
#define AFME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AFME_VERSION_MAJOR 0
#define AFME_VERSION_MINOR 3
#define AFME_VERSION_PATCH 0
#define AFME_VERSION_STRING "0.3.0"

/**
 * @defgroup Library Library: version and errors
 * @{
 */

/** Status codes. Values are stable. */
typedef enum afme_status {
    AFME_OK = 0,
    AFME_ERR_NULL_POINTER = 1,     /**< a required pointer argument was NULL */
    AFME_ERR_INVALID_ARGUMENT = 2, /**< a number outside its domain (negative length, NaN, bad enum) */
    AFME_ERR_OUT_OF_RANGE = 3,     /**< an entity or relation id outside [0, count) */
    AFME_ERR_INVALID_HANDLE = 4,   /**< a handle that is not live (already freed, or never created) */
    AFME_ERR_IO = 5,               /**< a file could not be opened, read or written */
    AFME_ERR_PARSE = 6,            /**< a data file is malformed (token, field count, count header) */
    AFME_ERR_FORMAT = 7,           /**< a binary file has a bad magic, version, dtype, layout or checksum */
    AFME_ERR_SHAPE = 8,            /**< dimensions do not fit (feature rows vs entities, buffer sizes) */
    AFME_ERR_NON_FINITE = 9,       /**< NaN or Inf where finite numbers are required */
    AFME_ERR_CANCELLED = 10,       /**< the progress callback asked to stop (the result is still valid) */
    AFME_ERR_INTERNAL = 11,        /**< a bug: please report it with afme_last_error() */
    AFME_ERR_NOT_FOUND = 12        /**< a label the model or dataset does not know (since 0.3.0) */
} afme_status;

/**
 * @brief The library version, e.g. "0.2.0" (equals AFME_VERSION_STRING of the header it was built with).
 * @return a static string; never NULL.
 * @note Thread-safe.
 */
const char *afme_version(void);

/**
 * @brief The message of the last failed call on this thread.
 * @return a thread-local string, valid until the next failing call on this thread; "" if none. It names
 *         the function and, for file input, the file and line; it quotes at most ~80 characters of a bad
 *         token (control and invisible characters such as a BOM shown as \u{...} escapes) and is at
 *         most 1024 bytes long.
 * @note Thread-safe (each thread has its own message).
 */
const char *afme_last_error(void);

/**
 * @brief Opts the process into the heap settings AFME training and scoring run fastest with (glibc
 *        malloc: large blocks kept on one heap instead of returned to the kernel and faulted in again;
 *        BENCHMARKS.md "heap tuning" measures it). The library never changes malloc settings by itself:
 *        they are the host's, so this is the host's call. A no-op off glibc and after the first call.
 * @note Process-wide; call it early (before threads allocate), as afme-cli does.
 *
 * Threads: every training and evaluation call takes its thread count from its own arguments and no call
 * changes another's. The one process-wide setting the library makes is OpenBLAS's own thread count, set
 * to 1 the first time a model trains or scores (the library splits products over its threads itself;
 * OpenBLAS has no per-thread setting).
 */
afme_status afme_tune_heap(void);

/** @} */

/**
 * @defgroup Dataset Dataset: triples and per-entity features
 * A dataset holds entity/relation counts and names, the train/valid/test splits, and feature
 * modalities. It is immutable once a model has been trained on it, except for adding modalities.
 * @{
 */

typedef struct afme_dataset afme_dataset;

/** The three splits. */
typedef enum afme_split { AFME_SPLIT_TRAIN = 0, AFME_SPLIT_VALID = 1, AFME_SPLIT_TEST = 2 } afme_split;

/** Parameters of the built-in synthetic multi-modal graph. Start from afme_synthetic_default_params().
    Bounds on the work: n_entities <= 100000, n_entities² × facts_per_entity <= 2e10, and
    n_entities × (text_dim + image_dim) <= 2^28 feature values; beyond them AFME_ERR_INVALID_ARGUMENT. */
typedef struct afme_synthetic_params {
    int64_t n_entities;         /**< >= 10 (default 2000) */
    int64_t n_relations;        /**< >= 1 (default 12) */
    int64_t facts_per_entity;   /**< >= 1 (default 6) */
    int64_t text_dim;           /**< first modality's dim; 0 = no such modality (default 32) */
    int64_t image_dim;          /**< second modality's dim; 0 = no such modality (default 16) */
    float text_missing;         /**< fraction of missing text rows in [0, 1), checked even when text_dim is 0 (default 0.1) */
    float image_missing;        /**< fraction of missing image rows in [0, 1), checked even when image_dim is 0 (default 0.3) */
    float feature_noise;        /**< feature noise std in [0, 1e6] (default 0.3) */
    uint64_t seed;              /**< default 42 */
} afme_synthetic_params;

/** @brief Default synthetic-graph parameters. @note Thread-safe. */
afme_synthetic_params afme_synthetic_default_params(void);

/**
 * @brief Builds the deterministic built-in multi-modal graph.
 * @param params [in] may be NULL for the defaults.
 * @param out    [out] receives a new dataset; free it with afme_dataset_free().
 * @note Thread-safe.
 */
afme_status afme_dataset_create_synthetic(const afme_synthetic_params *params, afme_dataset **out);

/**
 * @brief Generates a graph of the size users run: power-law degrees over entities and relations, a planted
 *        rule per relation (a permutation of entity clusters) and optionally a feature modality "text" whose
 *        rows are the entity's cluster centroid plus noise. Deterministic in the spec.
 * @param spec      [in] "key=value" items separated by spaces or commas; NULL or "" for the defaults. Keys:
 *                  entities (10..1e8, default 100000), relations (1..1e6, 100), triples (facts drawn before
 *                  de-duplication, 10..2e8, 1000000), valid (5000), test (5000), clusters (1000), zipf (the
 *                  exponent s of P(rank k) ∝ 1/(k+1)^s, [0, 3], 0.8), noise (fraction of uniform tails, 0.1),
 *                  feature_dim (0 = no modality, ≤ 4096), feature_noise (0.5), seed (1). The Wikidata5M shape:
 *                  "entities=4594485 relations=822 triples=21000000".
 * @param cache_dir [in] NULL: generate in memory. Else a directory: the graph is read from its cache file
 *                  there when one holds exactly this spec and checks out (CRC-32), otherwise generated and
 *                  written there atomically, for the next call.
 * @param out       [out] receives a new dataset; untouched on failure.
 * @return AFME_ERR_INVALID_ARGUMENT for an unknown key or a value outside its domain (named in
 *         afme_last_error()), AFME_ERR_IO when the cache cannot be written.
 * @note Thread-safe; two processes sharing a cache directory at most generate twice. @since 0.4.0
 */
afme_status afme_dataset_create_scale(const char *spec, const char *cache_dir, afme_dataset **out);

/**
 * @brief Loads an OpenKE folder (entity2id.txt, relation2id.txt, train2id.txt, valid2id.txt, test2id.txt;
 *        triple lines are "head tail relation").
 * @param folder [in] UTF-8 path.
 * @param out    [out] receives a new dataset; untouched on failure.
 * @return AFME_ERR_IO, AFME_ERR_PARSE, AFME_ERR_OUT_OF_RANGE with file and line in afme_last_error().
 *         Names are UTF-8 (anything else is PARSE, with the line); the id follows the last space or tab.
 *         An empty split ("0" on the first line) loads: training on an empty train split and evaluating
 *         an empty split are then refused with AFME_ERR_INVALID_ARGUMENT.
 * @note Thread-safe.
 */
afme_status afme_dataset_load_openke(const char *folder, afme_dataset **out);

/**
 * @brief Adds a feature modality from caller memory (copied).
 * @param values  [in] row-major float32 [n_rows, dim]; n_rows must equal the entity count.
 * @param present [in] n_rows bytes, nonzero = row present; NULL = all present. Missing rows are data.
 * @note Not thread-safe on the same dataset.
 */
afme_status afme_dataset_add_modality(afme_dataset *dataset, const char *name, const float *values,
                                      int64_t n_rows, int64_t dim, const uint8_t *present);

/**
 * @brief Adds a feature modality from a 2-D float32/float16 C-order .npy file.
 * @param missing_ids [in] ids whose row is missing (may be NULL when n_missing is 0).
 * @note Not thread-safe on the same dataset.
 */
afme_status afme_dataset_add_modality_npy(afme_dataset *dataset, const char *name, const char *npy_path,
                                          const int64_t *missing_ids, int64_t n_missing);

/** @brief Entity count. @note Thread-safe. */
afme_status afme_dataset_n_entities(const afme_dataset *dataset, int64_t *out);
/** @brief Relation count. @note Thread-safe. */
afme_status afme_dataset_n_relations(const afme_dataset *dataset, int64_t *out);
/** @brief Number of triples in a split (training duplicates already removed). @note Thread-safe. */
afme_status afme_dataset_n_triples(const afme_dataset *dataset, afme_split split, int64_t *out);
/** @brief Number of feature modalities. @note Thread-safe. */
afme_status afme_dataset_n_modalities(const afme_dataset *dataset, int64_t *out);

/**
 * @brief Copies a split's triples as (head, relation, tail) into `out` (capacity in triples).
 * @param out [out] 3 * capacity int64 values; the first 3 * n are written, n = min(capacity, count).
 * @param n_written [out] number of triples written.
 * @note Thread-safe.
 */
afme_status afme_dataset_get_triples(const afme_dataset *dataset, afme_split split, int64_t *out,
                                     int64_t capacity, int64_t *n_written);

/**
 * @brief An entity's name as a NUL-terminated UTF-8 string.
 * @param buffer [out] receives up to `size` bytes including the NUL (truncated if needed).
 * @param needed [out] may be NULL; receives the full length + 1.
 * @note Thread-safe.
 */
afme_status afme_dataset_entity_name(const afme_dataset *dataset, int64_t id, char *buffer, size_t size, size_t *needed);
/** @brief A relation's name; as afme_dataset_entity_name(). @note Thread-safe. */
afme_status afme_dataset_relation_name(const afme_dataset *dataset, int64_t id, char *buffer, size_t size, size_t *needed);

/**
 * @name Labeled triples
 * As KG pipelines hold them. Entity and relation ids are given in order of first appearance in the
 * training triples; labels are exact UTF-8 (no trimming). A valid or test triple with a label that does not
 * occur in train cannot be ranked: by the option `unseen` it is dropped and counted (`drop`, the default)
 * or the load is refused with its file, line and label (`refuse`). Repeated training triples are dropped
 * (counted). Options are "key=value" items separated by spaces or commas; NULL means the defaults:
 *   header=auto|yes|no   auto skips a first line of column names (head/relation/tail, subject/predicate/object, h/r/t)
 *   unseen=drop|refuse
 * Nothing is returned unless everything loaded. @since 0.3.0
 * @{
 */
/**
 * @brief Loads `head<TAB>relation<TAB>tail` files (PyKEEN / DGL-KE raw format); gzip files (.gz) are read
 *        as well. `valid_path` and `test_path` may be NULL.
 * @return AFME_ERR_PARSE (wrong field count, empty field, non-UTF-8, with file:line), AFME_ERR_FORMAT (a
 *         corrupt gzip), AFME_ERR_OUT_OF_RANGE (an unseen label under unseen=refuse), AFME_ERR_IO.
 * @note Thread-safe.
 */
afme_status afme_dataset_load_tsv(const char *train_path, const char *valid_path, const char *test_path,
                                  const char *options, afme_dataset **out);
/**
 * @brief A dataset from label arrays: `train` holds 3 × n_train NUL-terminated UTF-8 strings (head,
 *        relation, tail of each triple); valid/test likewise (NULL when their count is 0). Options as above.
 * @note Thread-safe.
 */
afme_status afme_dataset_create_from_labels(const char *const *train, int64_t n_train, const char *const *valid,
                                            int64_t n_valid, const char *const *test, int64_t n_test,
                                            const char *options, afme_dataset **out);
/**
 * @brief A dataset from id arrays (n × 3 int64: head, relation, tail); every id is checked against
 *        n_entities / n_relations. `entity_labels` (n_entities strings) and `relation_labels` may be NULL:
 *        then the labels are "e<id>" and "r<id>". Labels must be unique and non-empty.
 * @note Thread-safe.
 */
afme_status afme_dataset_create_from_ids(const int64_t *train, int64_t n_train, const int64_t *valid, int64_t n_valid,
                                         const int64_t *test, int64_t n_test, int64_t n_entities, int64_t n_relations,
                                         const char *const *entity_labels, const char *const *relation_labels,
                                         afme_dataset **out);
/**
 * @brief A reproducible split of a dataset's training triples into new train / valid / test: valid and
 *        test are drawn by `seed` among triples whose removal keeps every one of their entities and
 *        relations in train (so every query can be ranked). The dataset's own valid/test are not used;
 *        its modalities are kept. Fewer triples than the fractions ask are drawn only when too few are
 *        removable (afme_dataset_n_triples says how many). Fractions in [0, 1), their sum below 1.
 * @note Thread-safe.
 */
afme_status afme_dataset_split(const afme_dataset *dataset, double valid_fraction, double test_fraction, uint64_t seed,
                               afme_dataset **out);
/**
 * @brief Adds a feature modality keyed by entity label: row i of `values` (n_rows × dim, copied) belongs
 *        to `labels[i]`. Entities without a row are missing rows (normal: AFME completes them). Rows whose
 *        label the dataset does not have are skipped and counted in *n_unknown (may be NULL), or, with
 *        refuse_unknown = 1, refused (AFME_ERR_OUT_OF_RANGE). A label with two rows is refused. On any
 *        error the dataset is unchanged.
 * @note Not thread-safe with other calls on the same dataset.
 */
afme_status afme_dataset_add_modality_labeled(afme_dataset *dataset, const char *name, const float *values, int64_t n_rows,
                                              int64_t dim, const char *const *labels, int32_t refuse_unknown,
                                              int64_t *n_unknown);

/** What loading dropped. Set `size = sizeof(afme_load_report)` before the call: the library writes only
 *  the fields the caller's size covers, so the struct can grow. */
typedef struct afme_load_report {
    size_t size;              /**< set by the caller; left as it is */
    int64_t duplicate_train;  /**< repeated training triples dropped */
    int64_t unseen_valid;     /**< valid triples dropped: a label not in train */
    int64_t unseen_test;      /**< test triples dropped: a label not in train */
} afme_load_report;
/** @brief The dataset's load report. @note Thread-safe. @since 0.3.0 */
afme_status afme_dataset_load_report(const afme_dataset *dataset, afme_load_report *out);
/** @} */

/** @brief Frees a dataset (models trained on it stay valid). NULL is a no-op. */
afme_status afme_dataset_free(afme_dataset *dataset);

/** @} */

/**
 * @defgroup Model Model: training, scoring, ranking
 * A trained model is read-only: scoring, top-k and evaluation may run on one model from many
 * threads at once.
 * @{
 */

typedef struct afme_model afme_model;

/** Score functions. */
/** Score function of the (joint) entity rows. AFME_ROTATE sums per-dimension complex moduli, as RotatE's
 *  reference code does; AFME_ROTATE_L2 takes the Euclidean norm that afme.txt eq. 13 prints, times
 *  sqrt(dim) so that gamma keeps its scale (docs/MODEL.md "Scoring and loss"). */
typedef enum afme_score_function { AFME_ROTATE = 0, AFME_TRANSE = 1, AFME_ROTATE_L2 = 2 } afme_score_function;

/** Which model afme_model_train() builds. */
typedef enum afme_model_kind {
    AFME_MODEL_STRUCTURAL = 0, /**< RotatE/TransE on the triples only */
    AFME_MODEL_AFME = 1,       /**< AFME (docs/MODEL.md): structure + the dataset's feature modalities (at least one) */
    AFME_MODEL_OTHER = 2       /**< afme_model_kind_of() only: a kind added after 0.2.0 (afme_model_kind_name() names it) */
} afme_model_kind;

/** AFME fusion: MoIFu, or the "w/o MoIFu" ablation (concatenate and project). */
typedef enum afme_fusion { AFME_FUSION_ADAPTIVE = 0, AFME_FUSION_CONCAT = 1 } afme_fusion;
/** Reading of afme.txt eq. 4's h_m ⊙ r (docs/MODEL.md). */
typedef enum afme_gate_reading { AFME_GATE_ROTATION = 0, AFME_GATE_PHASES = 1 } afme_gate_reading;
/** Reading of eq. 8's (e_s ⊕ z) ⊙ h̃_m (docs/MODEL.md). */
typedef enum afme_guide_reading { AFME_GUIDE_PROJECTED = 0, AFME_GUIDE_ONES = 1 } afme_guide_reading;
/** What fills the features of entities lacking a modality. */
typedef enum afme_missing_fill {
    AFME_MISSING_GENERATOR = 0, /**< the generator's output (mean feature without MoIEn) */
    AFME_MISSING_RANDOM = 1     /**< a fixed random vector per entity (the common baseline) */
} afme_missing_fill;

/** Tie handling for ranks (see README). */
typedef enum afme_ties {
    AFME_TIES_REALISTIC = 0,   /**< mean of optimistic and pessimistic rank (default) */
    AFME_TIES_OPTIMISTIC = 1,  /**< 1 + #strictly better */
    AFME_TIES_PESSIMISTIC = 2, /**< 1 + #better + #tied */
    AFME_TIES_OPENKE = 3       /**< the OpenKE tester of the published tables (optimistic, float32) */
} afme_ties;

/** Which side a query predicts. */
typedef enum afme_direction {
    AFME_PREDICT_TAIL = 0, /**< (h, r, ?): `entity` is the head */
    AFME_PREDICT_HEAD = 1  /**< (?, r, t): `entity` is the tail */
} afme_direction;

/** Training settings, by value. Start from afme_train_default_params(). */
typedef struct afme_train_params {
    int32_t score_function;          /**< one of afme_score_function: default AFME_ROTATE */
    int32_t dim;                     /**< embedding dim, complex dims for RotatE (default 250) */
    float gamma;                     /**< margin γ (default 4) */
    float epsilon;                   /**< RotatE init range (γ+ε)/dim (default 2) */
    int32_t negatives;               /**< negatives per positive (default 64) */
    int32_t batch_size;              /**< default 1024 */
    int32_t epochs;                  /**< maximum epochs (default 100) */
    float learning_rate;             /**< Adam learning rate (default 1e-3) */
    float adversarial_temperature;   /**< self-adversarial α; 0 = uniform weights (default 1) */
    float l2;                        /**< L2 penalty on positive triples' rows; 0 = off (default 0) */
    uint64_t seed;                   /**< default 0 */
    int32_t threads;                 /**< 0 = all cores (default 0) */
    int32_t validate_every;          /**< validate every N epochs; 0 = never (default 5) */
    int32_t patience;                /**< validations without improvement before stopping; 0 = never (default 3) */
    int32_t validation_ties;         /**< one of afme_ties, for the early-stopping metric: default realistic */
    int32_t validation_limit;        /**< cap on validation triples; 0 = all (default 0) */
    double time_limit_seconds;       /**< bound on the whole run (epochs, validation, post-training); 0 = none (default 0) */
    /* Booleans last, as int32 so the layout is the same in C and C++ on every ABI. */
    int32_t bernoulli_negatives;     /**< nonzero: per-relation Bernoulli corruption (default 0) */
    int32_t filter_negatives;        /**< nonzero: redraw negatives that are known training triples (default 0) */
    /* AFME (used when model_kind is AFME_MODEL_AFME; docs/MODEL.md explains each). */
    int32_t model_kind;              /**< one of afme_model_kind: default AFME_MODEL_STRUCTURAL */
    int32_t fusion;                  /**< one of afme_fusion: default AFME_FUSION_ADAPTIVE */
    int32_t enhancement;             /**< nonzero: MoIEn generator + discriminator (default 1) */
    int32_t denoising;               /**< nonzero: relation-driven gate, eq. 4-5 (default 1) */
    float denoise_strength;          /**< α in [0, 1]: 0 raw modality, 1 gated (default 1) */
    int32_t confidence;              /**< nonzero: confidence term of eq. 6 (default 1) */
    int32_t relation_smoothing;      /**< nonzero: σ(τ_r) of eq. 6 (default 1) */
    int32_t attention_layers;        /**< generator self-attention layers, 0-8 (default 4) */
    int32_t attention_tokens;        /**< tokens per modality vector; divides the row width (default 8) */
    int32_t noise_dim;               /**< generator noise z, 1-1024 (default 64) */
    int32_t gate_reading;            /**< one of afme_gate_reading: default rotation */
    int32_t guide_reading;           /**< one of afme_guide_reading: default projected */
    int32_t intermodal_includes_self;/**< nonzero: eq. 10 also attends to the modality itself (default 1) */
    int32_t missing_fill;            /**< one of afme_missing_fill: default generator */
    float lambda_adversarial;        /**< λ1 of eq. 17 (default 1e-3) */
    float lambda_penalty;            /**< λ2 of eq. 17 (default 1e-3) */
    float penalty_weight;            /**< λ of eq. 16 (default 10) */
    float generator_learning_rate;   /**< default 1e-4 */
    float discriminator_learning_rate; /**< default 1e-4 */
    int32_t adversarial_samples;     /**< rows per batch fed to the discriminator, 1-65536 (default 256) */
    int32_t discriminator_hidden;    /**< width of the discriminator's hidden layer, 1-4096 (default 64) */
    int32_t enhance_all;             /**< nonzero: every entity's modality vector is the generator's refinement,
                                          not only absent ones (docs/MODEL.md; default 0) */
    float completion_dropout;        /**< in [0, 1): share of present modality rows completed by the generator
                                          per training batch as if absent (modality dropout; docs/MODEL.md) */
    float synthetic_negative_weight; /**< in [0, 100]: weight of the synthetic-negative loss (generated-modality
                                          versions of true entities as negatives; docs/MODEL.md); 0 = off */
    float noise_scale;               /**< std of the generator noise z in units of the structural init std,
                                          [0, 1e4] (default 1; docs/MODEL.md) */
    int32_t completion_mix;          /**< nonzero: an absent row's vector is prior + β ⊙ (G − prior) with a learned β
                                          starting at 0; 0: the generator's output as is (default 1; docs/MODEL.md) */
    int32_t negative_pool;           /**< AFME negatives: each relation of a batch fuses a pool of negative_pool ×
                                          negatives entities that its positives draw from, 1-64 (default 1;
                                          docs/MODEL.md "Training step") */
    int32_t placement_neighbors;     /**< entities without training triples get, after training, a structural row
                                          placed from this many feature neighbours, 0-256; 0 = off (default 10).
                                          Kept only if it raises the validation MRR; not applied without
                                          validation (docs/MODEL.md "Cold-start entities") */
    float placement_keep;            /**< share of such an entity's own trained row kept, [0, 1] (default 0.5) */
} afme_train_params;

/** @brief Default training parameters. @note Thread-safe. */
afme_train_params afme_train_default_params(void);

/** What the progress callback receives after each epoch. */
typedef struct afme_epoch_report {
    int32_t epoch;           /**< 1-based */
    float mean_loss;
    double seconds;          /**< this epoch's wall time */
    int32_t validated;       /**< nonzero if this epoch ran a validation */
    double valid_mrr;        /**< most recent filtered validation MRR in [0, 1]; -1 before the first */
    double valid_hits10;     /**< most recent validation Hits@10; -1 before the first */
} afme_epoch_report;

/**
 * Progress callback: return 0 to continue, nonzero to stop after this epoch (the model trained so
 * far, with the best validated weights, is still returned, with status AFME_ERR_CANCELLED).
 * It runs on the thread that called afme_model_train().
 */
typedef int (*afme_progress_fn)(const afme_epoch_report *report, void *user_data);

/**
 * @brief Trains a model (structural or AFME, by params->model_kind) on the dataset's training split.
 * AFME uses every feature modality added to the dataset; entities lacking one are completed, and
 * entities with features but no training triple get structural rows from their feature neighbours
 * (params->placement_neighbors) when that raises the validation MRR.
 * Requests whose memory can be told in advance to exceed about 16 GB (the entity tables, one AFME
 * batch's graph, or the AFME layers: their parameters grow with dim² and with dim × each modality's
 * dim) are refused with AFME_ERR_INVALID_ARGUMENT before anything is allocated.
 * Every field is checked before any is used (AFME's fields only when model_kind is AFME_MODEL_AFME; a
 * structural model does not read them). An empty training split is refused with AFME_ERR_INVALID_ARGUMENT.
 * @param params   [in] NULL for the defaults.
 * @param progress [in] may be NULL.
 * @param out      [out] receives a new model (also on AFME_ERR_CANCELLED); free with afme_model_free().
 * @note Thread-safe with respect to other calls; the dataset is only read.
 */
afme_status afme_model_train(const afme_dataset *dataset, const afme_train_params *params,
                             afme_progress_fn progress, void *user_data, afme_model **out);

/**
 * @name Params: training options by name (since 0.3.0)
 * The contract that grows without breaking callers: a model kind chosen by name, every option set by
 * name from text (as LightGBM's parameter strings and XGBoost's XGBoosterSetParam), and the common
 * options also through a struct that carries its size. afme_train_params above is the frozen 0.2.0
 * layout, kept so programs built against 0.2.0 keep working; new options appear only here.
 *
 * Model kinds: "rotate", "transe", "rotate_l2" (structural: the triples only), "afme" (structure +
 * the dataset's feature modalities), and the peers "adamf_mat", "native" and "momok" (docs/models/). The options, one table in the library (afme_option_info_get() lists it;
 * `afme-cli --list-options` prints it; Tests/c/run.sh checks this list against it):
 *
 * @verbatim
 * OPTIONS BEGIN
 * dim                                   int     all   embedding dim (complex dims for RotatE)
 * gamma                                 float   all   margin γ of the score γ − distance
 * epsilon                               float   all   ε of the RotatE initialisation range (γ + ε) / dim
 * negatives                             int     all   negatives per positive
 * batch_size                            int     all   positives per step
 * epochs                                int     all   maximum epochs
 * learning_rate                         float   all   Adam learning rate
 * adversarial_temperature               float   all   self-adversarial temperature α; 0 weights negatives uniformly
 * experimental.loss                     choice  all   loss of distance models: self-adversarial sigmoid or margin ranking (ranks at chance, BENCHMARKS.md)
 * experimental.margin                   float   all   m of the margin loss max(0, m + d⁺ − d⁻)
 * l2                                    float   all   L2 penalty on the rows of positive triples; 0 = off
 * seed                                  uint64  all   random seed
 * threads                               int     all   threads of this model's training and evaluation; 0 = all cores
 * validate_every                        int     all   validate every N epochs; 0 = never
 * patience                              int     all   validations without improvement before stopping; 0 = never
 * validation_ties                       choice  all   tie handling of the early-stopping metric
 * validation_limit                      int     all   cap on validation triples; 0 = all
 * time_limit_seconds                    float   all   bound on the whole run (epochs, validation, post-training); 0 = none
 * bernoulli_negatives                   bool    all   per-relation Bernoulli corruption instead of uniform
 * filter_negatives                      bool    all   redraw negatives that are known training triples
 * optimizer                             choice  rotate,transe,rotate_l2 entity-table optimiser: lazy Adam, or row-wise Adagrad (one state value per row; RotatE at dim 250: learning_rate 0.01)
 * shared_negatives                      int     rotate,transe,rotate_l2 positives per chunk sharing one draw of negatives; 0 = each positive draws its own
 * score_function                        choice  afme  score of the joint entity rows (structural kinds fix it by their name)
 * fusion                                choice  afme  MoIFu, or the w/o MoIFu ablation (concatenate and project)
 * enhancement                           bool    afme  MoIEn generator + discriminator (off: w/o MoIEn)
 * denoising                             bool    afme  relation-driven gate, eq. 4-5
 * denoise_strength                      float   afme  α: 0 raw modality, 1 gated
 * confidence                            bool    afme  confidence term of eq. 6
 * relation_smoothing                    bool    afme  σ(τ_r) of eq. 6
 * attention_layers                      int     afme  generator self-attention layers
 * attention_tokens                      int     afme  tokens per modality vector; must divide the row width
 * noise_dim                             int     afme  generator noise z width
 * gate_reading                          choice  afme  reading of eq. 4's h_m ⊙ r
 * guide_reading                         choice  afme  reading of eq. 8's (e_s ⊕ z) ⊙ h̃_m
 * intermodal_includes_self              bool    afme  eq. 10 also attends to the modality itself
 * missing_fill                          choice  afme  what fills absent modality rows
 * lambda_adversarial                    float   afme  λ1 of eq. 17
 * lambda_penalty                        float   afme  λ2 of eq. 17
 * penalty_weight                        float   afme  λ of eq. 16
 * generator_learning_rate               float   afme  generator Adam learning rate
 * discriminator_learning_rate           float   afme  discriminator Adam learning rate
 * adversarial_samples                   int     afme  rows per batch fed to the discriminator
 * discriminator_hidden                  int     afme  discriminator hidden width
 * noise_scale                           float   afme  std of z in units of the structural init std
 * completion_mix                        bool    afme  absent rows are prior + β ⊙ (G − prior), β learned from 0
 * negative_pool                         int     afme  per-relation negative pool, in multiples of negatives
 * placement_neighbors                   int     afme  cold-start entities placed from this many feature neighbours after training; 0 = off
 * placement_keep                        float   afme  share of a cold-start entity's own row kept
 * experimental.enhance_all              bool    afme  every modality vector is the generator's refinement (measured: a loss)
 * experimental.completion_dropout       float   afme  share of present rows completed as if absent per batch (measured: a loss)
 * experimental.synthetic_negative_weight float  afme  weight of generated-modality negatives (measured: a loss)
 * attention_vectors                     choice  adamf_mat eq. 4's w_m: one vector per modality (paper) or one shared (released code)
 * adversarial_weight                    float   adamf_mat λ of eq. 11 (paper grid 0.1/0.01/0.001; released scripts 0 = no MAT)
 * generator_objective                   choice  adamf_mat G's loss: eq. 11's max of L_adv, or the released code's fakes-as-positives
 * generator_learning_rate               float   adamf_mat generator Adam learning rate
 * adversarial_groups                    int     adamf_mat L: synthetic triple groups per positive
 * noise_dim                             int     adamf_mat generator noise z width
 * generator_hidden                      int     adamf_mat generator hidden width
 * missing_fill                          choice  adamf_mat absent feature rows: random at the mean norm (paper's study) or the mean feature
 * adversarial_weight                    float   native μ of the Wasserstein terms (released scripts 1e-4); 0 = no fakes
 * generator_learning_rate               float   native generator Adam learning rate
 * noise_dim                             int     native generator noise z width
 * generator_hidden                      int     native generator hidden width
 * relation_temperature                  bool    native σ(g_r) divides the fusion scores (off: relation-free weights)
 * negative_pool                         int     native per-relation negative pool, in multiples of negatives
 * missing_fill                          choice  native absent feature rows: random at the mean norm or the mean feature
 * experts                               int     momok experts per modality (K)
 * relation_dim                          int     momok width of the decoders' relation vectors
 * mi_weight                             float   momok μ of the CLUB mutual-information term (eq. 9)
 * noisy_gates                           bool    momok learned Gaussian noise on the gates
 * relation_gates                        bool    momok σ(g_r) divides the query's gate logits
 * label_smoothing                       float   momok ε of the 1-to-N targets
 * dropout                               bool    momok TuckER's and the fusion's dropouts
 * club_likelihood                       choice  momok the CLUB network's objective: Gaussian log-likelihood or the released code's (no log σ)
 * feature_tuning                        bool    momok train the feature tables with the model
 * missing_fill                          choice  momok absent feature rows: random at the mean norm or the mean feature
 * OPTIONS END
 * @endverbatim
 * Domains and defaults: afme_option_info_get() or `afme-cli --list-options`. Values are text: integers,
 * numbers ("1e-3"; NaN/Inf refused with AFME_ERR_NON_FINITE), "true"/"false" (also 1/0, yes/no, on/off),
 * or a choice's name. The 0.2.0 struct's enhance_all, completion_dropout and synthetic_negative_weight
 * are the experimental.* options (levers that BENCHMARKS.md measured as losses).
 * @{
 */

typedef struct afme_params afme_params;

/**
 * @brief New training parameters for a model kind, holding every option's default.
 * @param model [in] a kind name ("rotate", "transe", "rotate_l2", "afme", "adamf_mat", "native", "momok"); NULL = "rotate".
 * @return AFME_ERR_INVALID_ARGUMENT for an unknown kind (the message lists the kinds).
 * @note Thread-safe.
 */
afme_status afme_params_create(const char *model, afme_params **out);

/** @brief Frees parameters. NULL is a no-op. */
afme_status afme_params_free(afme_params *params);

/**
 * @brief Sets one option from its text form, e.g. afme_params_set(p, "attention_layers", "4").
 * @return AFME_ERR_INVALID_ARGUMENT for an unknown key (the message lists the kind's valid keys), an
 *         option of another kind, or a value outside its domain (the message states it);
 *         AFME_ERR_NON_FINITE for NaN/Inf. The parameters are unchanged on failure.
 * @note Not thread-safe on the same parameters.
 */
afme_status afme_params_set(afme_params *params, const char *key, const char *value);

/**
 * @brief Sets several options from "key=value" items separated by spaces, tabs, newlines or commas,
 *        all or nothing: on failure no option is changed.
 * @note Not thread-safe on the same parameters.
 */
afme_status afme_params_set_string(afme_params *params, const char *settings);

/**
 * @brief An option's current value as text ("model" gives the kind); buffer/size/needed as
 *        afme_dataset_entity_name(). @note Thread-safe.
 */
afme_status afme_params_get(const afme_params *params, const char *key, char *buffer, size_t size, size_t *needed);

/** The options every kind shares, in a struct that carries its size: the library reads only the fields
 *  the caller's struct_size covers (an older, shorter struct leaves the rest at their defaults) and
 *  accepts a longer struct from a newer header only if the fields it does not know are zero. */
typedef struct afme_common_params {
    uint64_t struct_size;          /**< sizeof(afme_common_params), set by afme_common_default_params() */
    int32_t dim;
    int32_t negatives;
    int32_t batch_size;
    int32_t epochs;
    float gamma;
    float epsilon;
    float learning_rate;
    float adversarial_temperature;
    float l2;
    int32_t threads;
    uint64_t seed;
    int32_t validate_every;
    int32_t patience;
    int32_t validation_ties;       /**< one of afme_ties */
    int32_t validation_limit;
    double time_limit_seconds;
} afme_common_params;

/** @brief The defaults of the common options, struct_size set. @note Thread-safe. */
afme_common_params afme_common_default_params(void);

/**
 * @brief Sets the common options from a sized struct, each checked as afme_params_set() checks it;
 *        all or nothing.
 * @note Not thread-safe on the same parameters.
 */
afme_status afme_params_set_common(afme_params *params, const afme_common_params *common);

/** One row of the option table. Strings have static lifetime. The caller sets struct_size; the library
 *  writes only the fields that size covers. */
typedef struct afme_option_info {
    uint64_t struct_size;          /**< sizeof(afme_option_info) */
    const char *name;
    const char *type;              /**< "int", "uint64", "float", "bool" or "choice" */
    const char *domain;            /**< e.g. "integer in 0...8", "number in (0, 10)", "one of adaptive, concat" */
    const char *default_value;
    const char *kinds;             /**< "all", or the kinds that read it, comma-separated */
    const char *doc;
} afme_option_info;

/** @brief Number of options in the table. @note Thread-safe. */
afme_status afme_option_count(int64_t *out);
/** @brief Row `index` of the option table. @note Thread-safe. */
afme_status afme_option_info_get(int64_t index, afme_option_info *out);

/**
 * @brief Trains a model as afme_model_train() does, from parameters by name.
 * @param params [in] NULL = "rotate" with the defaults.
 * @note Thread-safe with respect to other calls; params and dataset are only read.
 */
afme_status afme_model_train_with(const afme_dataset *dataset, const afme_params *params, afme_progress_fn progress,
                                  void *user_data, afme_model **out);

/**
 * @brief Whether `model` came from a run stopped by its progress callback (or its time limit) at the end
 *        of an epoch and holds that run's resume state: its current weights, optimiser moments, random
 *        state, the order of the training triples and every option it trained with. The state is saved with
 *        the model (afme_model_save) and loaded with it; the model itself is the run's best so far, ready to
 *        score.
 * @param out [out] 1 if it can be resumed, else 0. @note Thread-safe. @since 0.3.0
 */
afme_status afme_model_can_resume(const afme_model *model, int32_t *out);

/**
 * @brief Continues the interrupted run `model` holds on `dataset` (the one it trained on; another is
 *        refused) to `epochs` epochs in all (0: the epochs it was asked for). For a fixed seed and thread
 *        count the result equals the uninterrupted run bit for bit: losses, validations, weights. `model`
 *        is not changed; the continued run is a new model in *out.
 * @return As afme_model_train_with (AFME_ERR_CANCELLED if stopped again: *out then holds a model that can
 *         be resumed again); AFME_ERR_INVALID_ARGUMENT if the model holds no resume state or `epochs` does
 *         not exceed the epochs already trained.
 * @note Thread-safe with respect to other calls; model and dataset are only read. @since 0.3.0
 */
afme_status afme_model_resume(const afme_model *model, const afme_dataset *dataset, int64_t epochs,
                              afme_progress_fn progress, void *user_data, afme_model **out);

/**
 * @name Data-parallel training (since 0.4.0)
 * Several processes (MPI ranks, machines) train one model together without libafme knowing how they talk:
 * the caller supplies an in-place sum across ranks (MPI_Allreduce with MPI_SUM, a torch.distributed
 * all_reduce, ...). Every rank passes the same dataset, the same options and the same seed; each trains
 * batch b of every epoch when b mod world_size is its rank, and after each round of world_size batches
 * the ranks sum their weight changes (one all-reduce of the whole parameter vector), so every batch's
 * update is applied once and every rank holds the same weights. With world_size 1 the run equals
 * afme_model_train_with bit for bit. The Python package's afme.mpi drives this over mpi4py;
 * docs/SCALE.md gives the bytes communicated and where communication overtakes compute.
 * @{
 */

/** Sums `count` floats element-wise over all ranks, in place; every rank receives the same sums. Return
 *  0 on success, nonzero on failure (training then stops with AFME_ERR_IO). It is called from the thread
 *  that called the training function, the same number of times with the same counts on every rank. */
typedef int (*afme_allreduce_fn)(float *values, int64_t count, void *user_data);

/** The caller's place in a data-parallel run. The caller sets struct_size. */
typedef struct afme_collective {
    uint64_t struct_size;            /**< sizeof(afme_collective) */
    int32_t rank;                    /**< 0 <= rank < world_size */
    int32_t world_size;              /**< number of ranks, 1 ... 1048576 */
    afme_allreduce_fn allreduce_sum; /**< must not be NULL */
    void *user_data;                 /**< passed to allreduce_sum */
} afme_collective;

/**
 * @brief Trains as afme_model_train_with(), as rank `collective->rank` of a data-parallel run.
 * @return As afme_model_train_with; AFME_ERR_INVALID_ARGUMENT for a bad collective, a time_limit_seconds (ranks
 *         would stop at different batches) or a kind that cannot train data-parallel; AFME_ERR_IO when
 *         allreduce_sum failed (the message names the epoch and rank). A progress callback that stops any
 *         rank stops every rank after the same epoch (each with AFME_ERR_CANCELLED and a resumable model).
 * @note Thread-safe with respect to other calls; params and dataset are only read. @since 0.4.0
 */
afme_status afme_model_train_distributed(const afme_dataset *dataset, const afme_params *params,
                                         const afme_collective *collective, afme_progress_fn progress,
                                         void *user_data, afme_model **out);

/**
 * @brief Continues a data-parallel run as afme_model_resume() does, each rank from its own resumable model
 *        (the weights are equal on every rank at an epoch's end; the optimiser moments are each rank's own).
 * @note Thread-safe with respect to other calls; model and dataset are only read. @since 0.4.0
 */
afme_status afme_model_resume_distributed(const afme_model *model, const afme_dataset *dataset, int64_t epochs,
                                          const afme_collective *collective, afme_progress_fn progress,
                                          void *user_data, afme_model **out);

/** @} */

/** @} */

/** @brief Entity count of the model. @note Thread-safe. */
afme_status afme_model_n_entities(const afme_model *model, int64_t *out);
/** @brief Relation count of the model. @note Thread-safe. */
afme_status afme_model_n_relations(const afme_model *model, int64_t *out);

/**
 * @brief Scores triples (higher = more plausible).
 * @param triples [in] n rows of (head, relation, tail).
 * @param out_scores [out] n floats, each a function of its own triple and the model alone: the same bits
 *        whatever else is in the call, whichever calls came before, and from any thread (AFME models
 *        compute their products row by row for this; docs/MODEL.md "Inference"). Finite for every
 *        model this library trains; a model loaded from a checkpoint whose weights are finite but
 *        extreme (a crafted file) can overflow to ±Inf or NaN. Ranking and evaluation then give a
 *        non-finite truth score the worst rank, and top-k skips NaN.
 * @note Thread-safe.
 */
afme_status afme_model_score(const afme_model *model, const int64_t *triples, int64_t n, float *out_scores);

/**
 * @brief The k best candidates for (h, r, ?) or (?, r, t), best first.
 * @param exclude [in] may be NULL; if given, entities known (in its train ∪ valid ∪ test) to complete
 *        the query are skipped. Must have the model's entity and relation counts.
 * @param k any value >= 0 (a k above the entity count asks for every entity).
 * @param out_ids, out_scores [out] capacity min(k, entities) each; *n_written = min(k, entities), less only
 *        when candidates are excluded or score NaN (possible only for a crafted checkpoint; NaN candidates
 *        are skipped, so n_written counts the rows actually written). A candidate's score
 *        equals afme_model_score() of the completed triple up to float rounding (a few ulp): the scan
 *        sums in another order and, for head queries, compares t∘r̄ with every h instead of h∘r with t.
 * @note Thread-safe. Cost (AFME models): the first query of a relation builds that relation's joint
 *       table of all entities (~0.1–0.18 s for 15 000 entities at dim 250 on 2 cores, bench/serving.py);
 *       the model keeps the tables of its last 4 relations, and a query on a kept table costs one scan
 *       (~4 ms there). Services answering many relations do best grouping queries by relation.
 */
afme_status afme_model_topk(const afme_model *model, int64_t entity, int64_t relation, afme_direction direction,
                            int64_t k, const afme_dataset *exclude, int64_t *out_ids, float *out_scores,
                            int64_t *n_written);

/**
 * @brief The k best candidates of many queries in one call, threads used.
 * @param queries [in] n × 3 int64, row-major: entity, relation, direction (an afme_direction value);
 *        every row is checked before anything is written.
 * @param k any value >= 0; rows hold kk = min(k, entities) entries.
 * @param exclude [in] may be NULL; as afme_model_topk().
 * @param threads 0 = all cores.
 * @param out_ids, out_scores [out] n × kk each, row-major, best first; a row with fewer candidates left
 *        (excluded, NaN) is padded with id -1 and score -INFINITY.
 * @param out_counts [out] may be NULL; n entries, the real candidates of each row.
 * @param capacity entries available at out_ids and at out_scores (must be >= n × kk).
 * @return AFME_ERR_SHAPE if capacity is too small.
 * @note Thread-safe. Each row equals afme_model_topk() of its query alone, bit for bit. Queries are
 *       grouped by relation internally, so their order does not matter for speed.
 * @since 0.3.0
 */
afme_status afme_model_topk_batch(const afme_model *model, const int64_t *queries, int64_t n, int64_t k,
                                  const afme_dataset *exclude, int32_t threads, int64_t *out_ids,
                                  float *out_scores, int64_t capacity, int64_t *out_counts);

/** Filtered ranking metrics; fractions in [0, 1]. */
typedef struct afme_metrics {
    int64_t count;   /**< ranked queries */
    double mr;
    double mrr;
    double hits1;
    double hits3;
    double hits10;
} afme_metrics;

/**
 * @brief Filtered link prediction on a split (filter = train ∪ valid ∪ test of `dataset`).
 * @return AFME_ERR_INVALID_ARGUMENT for an empty split (there is no MRR of nothing).
 * @param out_both, out_tail, out_head [out] each may be NULL.
 * @note Thread-safe.
 */
afme_status afme_model_evaluate(const afme_model *model, const afme_dataset *dataset, afme_split split,
                                afme_ties ties, int32_t threads, afme_metrics *out_both,
                                afme_metrics *out_tail, afme_metrics *out_head);

/** How afme_model_evaluate_with() ranks. The caller sets struct_size (afme_eval_default_options() does);
 *  a longer struct from a newer header is accepted when the fields this library does not know are zero. */
typedef struct afme_eval_options {
    uint64_t struct_size;       /**< sizeof(afme_eval_options) */
    int32_t ties;               /**< one of afme_ties */
    int32_t threads;            /**< 0 = all cores */
    int64_t sampled_candidates; /**< 0 = filtered full ranking (every entity a candidate, as
                                     afme_model_evaluate()); N in 1 ... 16777216 = sampled ranking, the OGB
                                     wikikg2 protocol: the truth against N entities drawn uniformly with
                                     replacement per query. It estimates, and is higher than, the full-ranking
                                     MRR: report it as "sampled N", never as filtered MRR. */
    uint64_t seed;              /**< the sample's seed; query i's draw depends only on seed and i */
    int32_t keep_known;         /**< 0 = other known answers drawn into the sample are skipped (filtered);
                                     1 = they count as competitors (OGB's lists are not filtered). Draws equal
                                     to the truth are skipped either way. */
    int32_t reserved;           /**< must be 0 */
} afme_eval_options;

/** @brief Defaults: realistic ties, all cores, full ranking, struct_size set. @note Thread-safe. @since 0.4.0 */
afme_eval_options afme_eval_default_options(void);

/**
 * @brief afme_model_evaluate() with options: tie rule, threads, and full or sampled ranking.
 * @return AFME_ERR_INVALID_ARGUMENT for a bad options struct (size, unknown nonzero fields, a field out of
 *         range) or an empty split; AFME_ERR_SHAPE for a dataset of another size than the model.
 * @note Thread-safe. With sampled_candidates = 0 the metrics equal afme_model_evaluate()'s bit for bit; a
 *       sampled run gives the same metrics for the same seed whatever the thread count. @since 0.4.0
 */
afme_status afme_model_evaluate_with(const afme_model *model, const afme_dataset *dataset, afme_split split,
                                     const afme_eval_options *options, afme_metrics *out_both,
                                     afme_metrics *out_tail, afme_metrics *out_head);

/**
 * @brief Which model kind this is (one of afme_model_kind). @note Thread-safe.
 */
afme_status afme_model_kind_of(const afme_model *model, int32_t *out);

/**
 * @brief Per-relation mean fusion weights of a multi-modal model (AFME's eq. 6, AdaMF-MAT's eq. 4, NATIVE's
 * relation-guided weights; averaged over all entities):
 * which modality each relation relies on. Row r holds n_columns weights summing to 1: the
 * structural modality first, then the feature modalities in the order they were added to the dataset.
 * @param out       [out] n_relations × n_columns floats, row-major; may be NULL to ask for n_columns only.
 * @param capacity  floats available at `out`.
 * @param n_columns [out] 1 + number of feature modalities.
 * @return AFME_ERR_INVALID_ARGUMENT for a structural model or the concat ablation (no weights);
 *         AFME_ERR_SHAPE if capacity is too small (n_columns is still written).
 * @note Thread-safe; costs about one relation table per relation (like an evaluation).
 */
afme_status afme_model_modality_weights(const afme_model *model, float *out, int64_t capacity, int64_t *n_columns);

/**
 * @brief The model kind's registry name ("rotate", "transe", "rotate_l2", "afme", "adamf_mat", "native", "momok"); buffer/size/needed as
 *        afme_dataset_entity_name(). @note Thread-safe. @since 0.3.0
 */
afme_status afme_model_kind_name(const afme_model *model, char *buffer, size_t size, size_t *needed);
/** @brief Feature modalities the model reads (0 for structure-only kinds): the columns after "structure" of
 *         afme_model_modality_weights(), the names afme_model_modality_embeddings() takes. @note Thread-safe. @since 0.3.0 */
afme_status afme_model_n_modalities(const afme_model *model, int64_t *out);
/** @brief The name of modality `index` (0-based, in fusion order), kept in the checkpoint; buffer/size/needed as
 *         afme_dataset_entity_name(). @return AFME_ERR_OUT_OF_RANGE for an index outside 0..n-1. @note Thread-safe. @since 0.3.0 */
afme_status afme_model_modality_name(const afme_model *model, int64_t index, char *buffer, size_t size, size_t *needed);

/**
 * @name Labels
 * A model trained by this version carries the entity and relation labels of its dataset, and keeps them
 * in its checkpoint: one file is enough to answer by name. Models loaded from 0.2.0 files have none.
 * Labels are unique: each names one id.
 * @{
 */
/** @brief *out = 1 if the model carries labels, else 0. @note Thread-safe. @since 0.3.0 */
afme_status afme_model_has_labels(const afme_model *model, int32_t *out);
/**
 * @brief The id of an entity label (exact UTF-8 match).
 * @return AFME_ERR_NOT_FOUND for a label the model does not know; AFME_ERR_INVALID_ARGUMENT if the model
 *         carries no labels. @note Thread-safe. @since 0.3.0
 */
afme_status afme_model_entity_id(const afme_model *model, const char *label, int64_t *out);
/** @brief The id of a relation label; as afme_model_entity_id(). @since 0.3.0 */
afme_status afme_model_relation_id(const afme_model *model, const char *label, int64_t *out);
/**
 * @brief An entity's label; buffer/size/needed as afme_dataset_entity_name().
 * @return AFME_ERR_INVALID_ARGUMENT if the model carries no labels. @note Thread-safe. @since 0.3.0
 */
afme_status afme_model_entity_label(const afme_model *model, int64_t id, char *buffer, size_t size, size_t *needed);
/** @brief A relation's label; as afme_model_entity_label(). @since 0.3.0 */
afme_status afme_model_relation_label(const afme_model *model, int64_t id, char *buffer, size_t size, size_t *needed);
/** @} */

/**
 * @name Embeddings
 * @{
 */
/**
 * @brief Entity embeddings, one row per entity, padding removed: RotatE kinds give [re(dim), im(dim)]
 *        (2·dim columns), TransE dim columns; AFME gives its structural rows (the joint row of an entity
 *        depends on the relation).
 * @param out [out] n_entities × n_columns floats, row-major; may be NULL to ask for n_columns only.
 * @param capacity floats available at out.
 * @param n_columns [out] columns per row.
 * @return AFME_ERR_SHAPE if capacity is too small (n_columns is still written). @note Thread-safe. @since 0.3.0
 */
afme_status afme_model_entity_embeddings(const afme_model *model, float *out, int64_t capacity, int64_t *n_columns);
/** @brief Relation embeddings: RotatE kinds dim phases in radians (h ∘ e^{iφ}), TransE dim offsets; as afme_model_entity_embeddings(). @since 0.3.0 */
afme_status afme_model_relation_embeddings(const afme_model *model, float *out, int64_t capacity, int64_t *n_columns);
/** @} */

/**
 * @brief AFME: the joint (fused, eq. 6) row of every entity under `relation`, as the score reads it;
 *        layout as afme_model_entity_embeddings(). Costs one relation table (see afme_model_topk).
 * @return AFME_ERR_INVALID_ARGUMENT for kinds whose entity rows do not depend on the relation.
 * @note Thread-safe. @since 0.3.0
 */
afme_status afme_model_joint_embeddings(const afme_model *model, int64_t relation, float *out, int64_t capacity,
                                        int64_t *n_columns);

/**
 * @brief AFME: every entity's vector of one feature modality under `relation`, as the fusion (eq. 6)
 *        weighs it: after the relation's gate (eq. 4–5) and, for entities that lack the modality, MoIEn's
 *        completion (the generator, eq. 15; zeros under w/o MoIEn); layout as afme_model_entity_embeddings().
 * @param modality the modality's name, as added to the training dataset (e.g. "text").
 * @param completed [out] n_entities bytes, 1 where the row was completed (the entity lacks the modality);
 *        may be NULL. Written only when the call succeeds and `out` is written (or NULL).
 * @param completed_capacity bytes available at completed.
 * @return AFME_ERR_NOT_FOUND for a name the model does not know (the message lists its modalities),
 *         AFME_ERR_INVALID_ARGUMENT for kinds without modalities, AFME_ERR_SHAPE if a capacity is too small.
 * @note Thread-safe. Costs one fusion of every entity under `relation`. @since 0.3.0
 */
afme_status afme_model_modality_embeddings(const afme_model *model, const char *modality, int64_t relation,
                                           float *out, int64_t capacity, int64_t *n_columns, uint8_t *completed,
                                           int64_t completed_capacity);

/**
 * @brief The training history: one report per epoch trained, as the progress callback saw them. It is kept
 *        in the checkpoint (an ancillary section), so a loaded model has it too; 0 epochs for models from
 *        files without one.
 * @param out [out] capacity reports; may be NULL to ask for the count only.
 * @param n_epochs [out] the number of epochs.
 * @return AFME_ERR_SHAPE if capacity is too small (n_epochs is still written). @note Thread-safe. @since 0.3.0
 */
afme_status afme_model_history(const afme_model *model, afme_epoch_report *out, int64_t capacity, int64_t *n_epochs);

/** @brief Frees a model. NULL is a no-op. */
afme_status afme_model_free(afme_model *model);

/** @} */

/**
 * @defgroup Checkpoint Checkpoint: save and load trained models
 * Format (version 3): magic "AFMECKPT", format version, then tagged sections: the model kind by name, its
 * configuration as key=value text, the table sizes, the labels, the weights; a CRC-32 of all of it (docs
 * in Sources/AFMECore/Checkpoint/SectionedCheckpoint.swift). Files of versions 1 and 2 (libafme 0.1.0 –
 * 0.2.0) still load. Loading checks every part and builds nothing unless all of it is valid; a loaded
 * model scores bit-identically to the saved one.
 * @{
 */

/**
 * @brief Saves a model atomically: a uniquely named temporary file beside `path` (".<name>.afme-tmp-<pid>-<random>",
 *        created with O_CREAT|O_EXCL|O_NOFOLLOW, so a planted file or link is never followed), fsync, rename,
 *        fsync of the directory. On failure the previous file at `path` (if any) is unchanged.
 *        Concurrent saves to one path from threads or processes all succeed (the last rename wins), and a
 *        concurrent afme_model_load() reads a complete old or new model. A temporary file left by a killed
 *        save is never read as a model; the next save to the same path removes it once its process is gone.
 * @note Thread-safe (the model is only read).
 */
afme_status afme_model_save(const afme_model *model, const char *path);

/**
 * @brief Loads a model saved by afme_model_save().
 * @return AFME_ERR_IO (cannot read, not a regular file, over 16 GiB), AFME_ERR_FORMAT (empty, bad magic,
 *         unsupported version, checksum mismatch, truncated, out-of-range configuration), AFME_ERR_NON_FINITE;
 *         `*out` is untouched on failure.
 * @note Thread-safe.
 */
afme_status afme_model_load(const char *path, afme_model **out);

/** @brief Bytes afme_model_save_to_buffer() needs. @note Thread-safe. */
afme_status afme_model_serialized_size(const afme_model *model, size_t *out);

/**
 * @brief Serialises a model into caller memory (the same bytes as the file format).
 * @param size [in] capacity of `buffer`; AFME_ERR_SHAPE if smaller than afme_model_serialized_size().
 * @param written [out] bytes written.
 * @note Thread-safe.
 */
afme_status afme_model_save_to_buffer(const afme_model *model, uint8_t *buffer, size_t size, size_t *written);

/** @brief Loads a model from bytes produced by afme_model_save_to_buffer() (copied). 0 bytes (data may then
 *  be NULL) is AFME_ERR_FORMAT. @note Thread-safe. */
afme_status afme_model_load_from_buffer(const uint8_t *data, size_t size, afme_model **out);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* AFME_H */
