/* The growable contract: parameters by name, the size-prefixed common struct (older, exact and newer
 * sizes), the option listing, and that training from parameters equals training from the frozen 0.2.0
 * struct bit for bit. Prints "N passed, M failed". */
#include "afme.h"
#include <stdio.h>
#include <string.h>

static int passed = 0, failed = 0;
#define EXPECT(cond, what)                                                                 \
    do {                                                                                   \
        if (cond) passed++;                                                                \
        else { failed++; fprintf(stderr, "FAIL %d: %s (%s)\n", __LINE__, what, afme_last_error()); } \
    } while (0)

static void get(const afme_params *p, const char *key, char *buf) { afme_params_get(p, key, buf, 64, NULL); }

int main(void) {
    afme_params *p = NULL;
    char v[64];
    EXPECT(afme_params_create("afme", &p) == AFME_OK, "create afme params");
    EXPECT(afme_params_set(p, "attention_layers", "2") == AFME_OK, "set by name");
    get(p, "attention_layers", v);
    EXPECT(strcmp(v, "2") == 0, "get returns the value set");
    EXPECT(afme_params_set(p, "attention_layers", "-1") == AFME_ERR_INVALID_ARGUMENT, "out of domain");
    EXPECT(strstr(afme_last_error(), "0...8") != NULL, "the message states the range");
    EXPECT(afme_params_set(p, "atention_layers", "2") == AFME_ERR_INVALID_ARGUMENT, "unknown key");
    EXPECT(strstr(afme_last_error(), "attention_layers") != NULL, "the message lists the valid keys");
    EXPECT(afme_params_set(p, "gamma", "nan") == AFME_ERR_NON_FINITE, "NaN");
    EXPECT(afme_params_set_string(p, "dim=16 negatives=4, fusion=concat epochs=oops") == AFME_ERR_INVALID_ARGUMENT,
           "a bad item fails the whole string");
    get(p, "dim", v);
    EXPECT(strcmp(v, "250") == 0, "all or nothing: dim unchanged");
    EXPECT(afme_params_set_string(p, "dim=16 negatives=4,fusion=concat") == AFME_OK, "a settings string");
    get(p, "fusion", v);
    EXPECT(strcmp(v, "concat") == 0, "choice by name");
    get(p, "model", v);
    EXPECT(strcmp(v, "afme") == 0, "the kind");
    EXPECT(afme_params_set(NULL, "dim", "1") == AFME_ERR_NULL_POINTER, "NULL params");
    EXPECT(afme_params_set(p, NULL, "1") == AFME_ERR_NULL_POINTER, "NULL key");
    afme_params_free(p);
    EXPECT(afme_params_set(p, "dim", "1") == AFME_ERR_INVALID_HANDLE, "freed params");
    EXPECT(afme_params_create("nope", &p) == AFME_ERR_INVALID_ARGUMENT, "unknown kind");
    EXPECT(afme_params_set((afme_params *)0x18, "dim", "8") == AFME_ERR_INVALID_HANDLE, "forged params");

    /* The sized struct: an older caller's shorter struct sets only what it covers. */
    EXPECT(afme_params_create("rotate", &p) == AFME_OK, "create rotate params");
    afme_common_params c = afme_common_default_params();
    EXPECT(c.struct_size == sizeof c, "defaults carry their size");
    c.dim = 12; c.epochs = 7; c.seed = 99;
    c.struct_size = offsetof(afme_common_params, epochs); /* covers dim..batch_size only */
    EXPECT(afme_params_set_common(p, &c) == AFME_OK, "a shorter struct");
    get(p, "dim", v);
    EXPECT(strcmp(v, "12") == 0, "covered field set");
    get(p, "epochs", v);
    EXPECT(strcmp(v, "100") == 0, "uncovered field keeps its default");
    struct { afme_common_params c; uint64_t future; } newer;
    newer.c = afme_common_default_params();
    newer.c.struct_size = sizeof newer; newer.c.epochs = 3; newer.future = 0;
    EXPECT(afme_params_set_common(p, &newer.c) == AFME_OK, "a longer struct whose unknown fields are zero");
    newer.future = 5;
    EXPECT(afme_params_set_common(p, &newer.c) == AFME_ERR_INVALID_ARGUMENT, "a longer struct with unknown nonzero fields");
    c = afme_common_default_params(); c.learning_rate = -1;
    EXPECT(afme_params_set_common(p, &c) == AFME_ERR_INVALID_ARGUMENT, "each field checked");
    c = afme_common_default_params(); c.struct_size = 4;
    EXPECT(afme_params_set_common(p, &c) == AFME_ERR_INVALID_ARGUMENT, "a size below the size field");
    afme_params_free(p);

    /* The option table. */
    int64_t n = 0;
    EXPECT(afme_option_count(&n) == AFME_OK && n > 40, "option count");
    afme_option_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    int found = 0;
    for (int64_t i = 0; i < n; i++) {
        EXPECT(afme_option_info_get(i, &info) == AFME_OK && info.name && info.doc, "an option row");
        if (strcmp(info.name, "attention_layers") == 0)
            found = strcmp(info.domain, "integer in 0...8") == 0 && strcmp(info.default_value, "4") == 0 && strcmp(info.kinds, "afme") == 0;
    }
    EXPECT(found, "attention_layers row");
    EXPECT(afme_option_info_get(n, &info) == AFME_ERR_OUT_OF_RANGE, "past the table");
    struct { uint64_t struct_size; const char *name; const char *type; } small = {2 * 8, NULL, (const char *)0x1};
    EXPECT(afme_option_info_get(0, (afme_option_info *)(void *)&small) == AFME_OK && small.name != NULL &&
               small.type == (const char *)0x1, "an older caller's shorter info struct: only its fields are written");

    /* Training by name equals training from the 0.2.0 struct, bit for bit. */
    afme_synthetic_params sp = afme_synthetic_default_params();
    sp.n_entities = 200;
    afme_dataset *ds = NULL;
    afme_dataset_create_synthetic(&sp, &ds);
    afme_train_params tp = afme_train_default_params();
    tp.dim = 16; tp.epochs = 3; tp.negatives = 8; tp.batch_size = 128; tp.validate_every = 0; tp.seed = 5;
    tp.model_kind = AFME_MODEL_AFME; tp.attention_layers = 1; tp.enhance_all = 1;
    afme_model *a = NULL, *b = NULL;
    EXPECT(afme_model_train(ds, &tp, NULL, NULL, &a) == AFME_OK, "train from the struct");
    afme_params_create("afme", &p);
    EXPECT(afme_params_set_string(p, "dim=16 epochs=3 negatives=8 batch_size=128 validate_every=0 seed=5 "
                                     "attention_layers=1 experimental.enhance_all=true") == AFME_OK, "the same by name");
    EXPECT(afme_model_train_with(ds, p, NULL, NULL, &b) == AFME_OK, "train from params");
    int64_t t[12] = {0, 0, 1, 5, 3, 9, 7, 1, 2, 199, 11, 0};
    float sa[4], sb[4];
    afme_model_score(a, t, 4, sa);
    afme_model_score(b, t, 4, sb);
    EXPECT(memcmp(sa, sb, sizeof sa) == 0, "identical scores");
    afme_model_free(a); afme_model_free(b); afme_params_free(p); afme_dataset_free(ds);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
