/* Every numeric field of afme_train_params and afme_synthetic_params, one table, each set to -1, 0,
 * its type's minimum and maximum and a huge value (floats also NaN and ±Inf), for a structural and an
 * AFME model. Each call must return a documented status (accepted values train one epoch and are
 * cancelled by the progress callback), never crash, and never accept a non-finite number. The table is
 * checked against the structs' layout, so a field added to the header without a row here fails the test.
 * Prints "N passed, M failed". */
#include "afme.h"
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static int passed = 0, failed = 0;
#define EXPECT(cond, ...)                                                                 \
    do {                                                                                  \
        if (cond) passed++;                                                               \
        else { failed++; fprintf(stderr, "FAIL: " __VA_ARGS__); fprintf(stderr, " (%s)\n", afme_last_error()); } \
    } while (0)

typedef enum { I32, I64, U64, F32, F64 } field_type;
typedef struct { const char *name; size_t offset; field_type type; } field;

#define TRAIN(f, t) { #f, offsetof(afme_train_params, f), t }
static const field train_fields[] = {
    TRAIN(score_function, I32), TRAIN(dim, I32), TRAIN(gamma, F32), TRAIN(epsilon, F32), TRAIN(negatives, I32),
    TRAIN(batch_size, I32), TRAIN(epochs, I32), TRAIN(learning_rate, F32), TRAIN(adversarial_temperature, F32),
    TRAIN(l2, F32), TRAIN(seed, U64), TRAIN(threads, I32), TRAIN(validate_every, I32), TRAIN(patience, I32),
    TRAIN(validation_ties, I32), TRAIN(validation_limit, I32), TRAIN(time_limit_seconds, F64),
    TRAIN(bernoulli_negatives, I32), TRAIN(filter_negatives, I32), TRAIN(model_kind, I32), TRAIN(fusion, I32),
    TRAIN(enhancement, I32), TRAIN(denoising, I32), TRAIN(denoise_strength, F32), TRAIN(confidence, I32),
    TRAIN(relation_smoothing, I32), TRAIN(attention_layers, I32), TRAIN(attention_tokens, I32), TRAIN(noise_dim, I32),
    TRAIN(gate_reading, I32), TRAIN(guide_reading, I32), TRAIN(intermodal_includes_self, I32), TRAIN(missing_fill, I32),
    TRAIN(lambda_adversarial, F32), TRAIN(lambda_penalty, F32), TRAIN(penalty_weight, F32),
    TRAIN(generator_learning_rate, F32), TRAIN(discriminator_learning_rate, F32), TRAIN(adversarial_samples, I32),
    TRAIN(discriminator_hidden, I32), TRAIN(enhance_all, I32), TRAIN(completion_dropout, F32),
    TRAIN(synthetic_negative_weight, F32), TRAIN(noise_scale, F32), TRAIN(completion_mix, I32),
    TRAIN(negative_pool, I32), TRAIN(placement_neighbors, I32), TRAIN(placement_keep, F32),
};
#define SYNTH(f, t) { #f, offsetof(afme_synthetic_params, f), t }
static const field synthetic_fields[] = {
    SYNTH(n_entities, I64), SYNTH(n_relations, I64), SYNTH(facts_per_entity, I64), SYNTH(text_dim, I64),
    SYNTH(image_dim, I64), SYNTH(text_missing, F32), SYNTH(image_missing, F32), SYNTH(feature_noise, F32), SYNTH(seed, U64),
};

static size_t type_size(field_type t) { return t == I32 || t == F32 ? 4 : 8; }

/* The rows cover the struct: between two fields (and after the last) only alignment padding. */
static int covers(const field *f, size_t n, size_t struct_size) {
    for (size_t i = 0; i + 1 < n; i++) {
        size_t end = f[i].offset + type_size(f[i].type);
        if (f[i + 1].offset < end || f[i + 1].offset - end >= type_size(f[i + 1].type)) return 0;
    }
    size_t end = f[n - 1].offset + type_size(f[n - 1].type);
    return end <= struct_size && struct_size - end < 8;
}

#define N_VALUES 8
/* Value k of a field's test list; returns 0 past the end of that type's list. */
static int set_value(void *base, const field *f, int k, int *non_finite) {
    char *p = (char *)base + f->offset;
    *non_finite = 0;
    switch (f->type) {
    case I32: { const int32_t v[] = {-1, 0, INT32_MIN, INT32_MAX, 1 << 30}; if (k >= 5) return 0; memcpy(p, &v[k], 4); return 1; }
    case I64: { const int64_t v[] = {-1, 0, INT64_MIN, INT64_MAX, (int64_t)1 << 40}; if (k >= 5) return 0; memcpy(p, &v[k], 8); return 1; }
    case U64: { const uint64_t v[] = {(uint64_t)-1, 0, 1, UINT64_MAX - 1, (uint64_t)1 << 63}; if (k >= 5) return 0; memcpy(p, &v[k], 8); return 1; }
    case F32: {
        const float v[] = {-1.0f, 0.0f, -FLT_MAX, FLT_MAX, 1e30f, NAN, INFINITY, -INFINITY};
        if (k >= N_VALUES) return 0;
        memcpy(p, &v[k], 4);
        *non_finite = k >= 5;
        return 1;
    }
    case F64: {
        const double v[] = {-1.0, 0.0, -DBL_MAX, DBL_MAX, 1e300, NAN, INFINITY, -INFINITY};
        if (k >= N_VALUES) return 0;
        memcpy(p, &v[k], 8);
        *non_finite = k >= 5;
        return 1;
    }
    }
    return 0;
}

static int cancel_now(const afme_epoch_report *r, void *user) { (void)r; (void)user; return 1; }

static int documented(afme_status s) {
    return s == AFME_OK || s == AFME_ERR_CANCELLED || s == AFME_ERR_INVALID_ARGUMENT || s == AFME_ERR_NON_FINITE;
}

int main(void) {
    EXPECT(covers(train_fields, sizeof train_fields / sizeof *train_fields, sizeof(afme_train_params)),
           "the table covers every field of afme_train_params");
    EXPECT(covers(synthetic_fields, sizeof synthetic_fields / sizeof *synthetic_fields, sizeof(afme_synthetic_params)),
           "the table covers every field of afme_synthetic_params");

    afme_synthetic_params base_sp = afme_synthetic_default_params();
    base_sp.n_entities = 60; base_sp.text_dim = 8; base_sp.image_dim = 4;
    for (size_t i = 0; i < sizeof synthetic_fields / sizeof *synthetic_fields; i++) {
        int non_finite = 0;
        for (int k = 0;; k++) {
            afme_synthetic_params sp = base_sp;
            if (!set_value(&sp, &synthetic_fields[i], k, &non_finite)) break;
            afme_dataset *d = NULL;
            afme_status s = afme_dataset_create_synthetic(&sp, &d);
            EXPECT(s == AFME_OK || s == AFME_ERR_INVALID_ARGUMENT || s == AFME_ERR_NON_FINITE,
                   "synthetic %s value %d: status %d", synthetic_fields[i].name, k, (int)s);
            EXPECT(!non_finite || s != AFME_OK, "synthetic %s: a non-finite value is refused", synthetic_fields[i].name);
            EXPECT((s == AFME_OK) == (d != NULL), "synthetic %s value %d: out set only on success", synthetic_fields[i].name, k);
            afme_dataset_free(d);
        }
    }
    /* Values documented as out of domain are refused. */
    afme_synthetic_params sp = base_sp;
    sp.feature_noise = -1;
    afme_dataset *d = NULL;
    EXPECT(afme_dataset_create_synthetic(&sp, &d) == AFME_ERR_INVALID_ARGUMENT, "feature_noise = -1 is refused");

    afme_dataset *ds = NULL;
    EXPECT(afme_dataset_create_synthetic(&base_sp, &ds) == AFME_OK, "the test graph");
    afme_train_params base = afme_train_default_params();
    base.dim = 8; base.negatives = 4; base.batch_size = 64; base.epochs = 1; base.validate_every = 0;
    base.placement_neighbors = 0;
    int accepted = 0, refused = 0;
    for (int kind = 0; kind < 2; kind++) {
        base.model_kind = kind == 0 ? AFME_MODEL_STRUCTURAL : AFME_MODEL_AFME;
        for (size_t i = 0; i < sizeof train_fields / sizeof *train_fields; i++) {
            int non_finite = 0;
            for (int k = 0;; k++) {
                afme_train_params p = base;
                if (!set_value(&p, &train_fields[i], k, &non_finite)) break;
                afme_model *m = NULL;
                afme_status s = afme_model_train(ds, &p, cancel_now, NULL, &m);
                EXPECT(documented(s), "%s %s value %d: status %d", kind ? "afme" : "structural", train_fields[i].name, k, (int)s);
                int used = kind == 1 || i < 19; /* the AFME fields (from model_kind on) are not read for structural models */
                EXPECT(!(non_finite && used) || (s != AFME_OK && s != AFME_ERR_CANCELLED),
                       "%s %s: a non-finite value is refused", kind ? "afme" : "structural", train_fields[i].name);
                EXPECT((s == AFME_OK || s == AFME_ERR_CANCELLED) == (m != NULL), "%s value %d: out set only on success",
                       train_fields[i].name, k);
                if (m) accepted++; else refused++;
                afme_model_free(m);
            }
        }
    }
    afme_train_params p = base;
    p.model_kind = AFME_MODEL_AFME; p.attention_layers = -1;
    afme_model *m = NULL;
    EXPECT(afme_model_train(ds, &p, cancel_now, NULL, &m) == AFME_ERR_INVALID_ARGUMENT && m == NULL,
           "a negative attention_layers is refused before use");
    printf("options_test: %d requests trained, %d refused\n", accepted, refused);
    afme_dataset_free(ds);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
