/* Regression tests for the second hardening round (issue "No crash, no silent truncation, no lost save"):
 * bounded reads (/dev/zero, a FIFO, a link to a device), text files with CRLF endings and a BOM, capped
 * messages, empty checkpoints, empty splits, stale handles after address reuse, and saves: planted links,
 * concurrent saves from threads and processes with a concurrent reader, kill -9 during a save and the
 * clean-up of what it leaves. Prints "N passed, M failed". */
#define _GNU_SOURCE
#include "afme.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed = 0, failed = 0;
#define EXPECT(cond, ...)                                                                 \
    do {                                                                                  \
        if (cond) passed++;                                                               \
        else { failed++; fprintf(stderr, "FAIL %d: ", __LINE__); fprintf(stderr, __VA_ARGS__); fprintf(stderr, " (%s)\n", afme_last_error()); } \
    } while (0)

static char dir[256];

static void write_text(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static int count_temporaries(const char *d) {
    DIR *h = opendir(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(h)) != NULL) n += strstr(e->d_name, ".afme-tmp-") != NULL;
    closedir(h);
    return n;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static afme_model *tiny_model(int64_t entities, int32_t dim) {
    afme_synthetic_params sp = afme_synthetic_default_params();
    sp.n_entities = entities;
    afme_dataset *ds = NULL;
    afme_dataset_create_synthetic(&sp, &ds);
    afme_train_params p = afme_train_default_params();
    p.dim = dim; p.epochs = 0; p.validate_every = 0;
    afme_model *m = NULL;
    afme_model_train(ds, &p, NULL, NULL, &m);
    afme_dataset_free(ds);
    return m;
}

/* ---- concurrent saves ---------------------------------------------------------------------------- */
static char shared_path[512];
static afme_model *models[2];
static int64_t model_entities[2] = {60, 80};
static volatile int writers_done = 0;

static void *saver(void *arg) {
    long id = (long)arg;
    long failures = 0;
    for (int i = 0; i < 25; i++) failures += afme_model_save(models[(id + i) % 2], shared_path) != AFME_OK;
    return (void *)failures;
}

static void *reader(void *arg) {
    long bad = 0;
    (void)arg;
    while (!writers_done) {
        afme_model *m = NULL;
        afme_status s = afme_model_load(shared_path, &m);
        int64_t n = 0;
        if (s == AFME_OK) afme_model_n_entities(m, &n);
        bad += s != AFME_OK || (n != model_entities[0] && n != model_entities[1]);
        afme_model_free(m);
    }
    return (void *)bad;
}

static void concurrent_saves(void) {
    snprintf(shared_path, sizeof shared_path, "%s/shared.afme", dir);
    models[0] = tiny_model(60, 16);
    models[1] = tiny_model(80, 16);
    EXPECT(afme_model_save(models[0], shared_path) == AFME_OK, "first save");
    pthread_t w[4], r;
    writers_done = 0;
    pthread_create(&r, NULL, reader, NULL);
    for (long i = 0; i < 4; i++) pthread_create(&w[i], NULL, saver, (void *)i);
    long failures = 0;
    for (int i = 0; i < 4; i++) { void *f; pthread_join(w[i], &f); failures += (long)f; }
    writers_done = 1;
    void *bad;
    pthread_join(r, &bad);
    EXPECT(failures == 0, "4 threads x 25 saves to one path all succeed (%ld failed)", failures);
    EXPECT((long)bad == 0, "a concurrent reader always loads a complete model (%ld bad loads)", (long)bad);

    /* Processes: 3 children save 20 times each while the parent reads. */
    pid_t kids[3];
    for (int k = 0; k < 3; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            int fails = 0;
            for (int i = 0; i < 20; i++) fails += afme_model_save(models[(k + i) % 2], shared_path) != AFME_OK;
            _exit(fails);
        }
    }
    int bad_loads = 0, loads = 0, running = 3, child_failures = 0;
    while (running > 0) {
        afme_model *m = NULL;
        afme_status s = afme_model_load(shared_path, &m);
        int64_t n = 0;
        if (s == AFME_OK) afme_model_n_entities(m, &n);
        bad_loads += s != AFME_OK || (n != 60 && n != 80);
        loads++;
        afme_model_free(m);
        for (int k = 0; k < 3; k++) {
            int st;
            if (kids[k] > 0 && waitpid(kids[k], &st, WNOHANG) == kids[k]) {
                child_failures += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
                kids[k] = 0; running--;
            }
        }
    }
    EXPECT(child_failures == 0, "3 processes x 20 saves to one path all succeed");
    EXPECT(bad_loads == 0, "a reader in another process always loads a complete model (%d of %d bad)", bad_loads, loads);
    EXPECT(count_temporaries(dir) == 0, "no temporary file is left behind by completed saves");
}

/* ---- kill -9 during saves ------------------------------------------------------------------------ */
static void killed_saves(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/killed.afme", dir);
    afme_model *big = tiny_model(2000, 250); /* 4 MB: a save takes long enough to be interrupted */
    EXPECT(afme_model_save(big, path) == AFME_OK, "save before the kills");
    int intact = 0, leftovers = 0;
    for (int round = 0; round < 10; round++) {
        pid_t kid = fork();
        if (kid == 0) { for (;;) afme_model_save(big, path); }
        usleep(20000 + 7000 * round);
        kill(kid, SIGKILL);
        waitpid(kid, NULL, 0);
        afme_model *m = NULL;
        intact += afme_model_load(path, &m) == AFME_OK;
        afme_model_free(m);
        leftovers += count_temporaries(dir) > 0;
    }
    EXPECT(intact == 10, "after kill -9 during a save the file always loads (%d of 10)", intact);
    printf("hardening_test: %d of 10 kills left a temporary file\n", leftovers);
    EXPECT(afme_model_save(big, path) == AFME_OK, "a save after the kills");
    EXPECT(count_temporaries(dir) == 0, "the next save removes the temporary files of killed saves");
    afme_model_free(big);
}

static void planted_links(void) {
    char path[512], target[512], link[600];
    snprintf(path, sizeof path, "%s/linked.afme", dir);
    snprintf(target, sizeof target, "%s/victim.txt", dir);
    write_text("victim.txt", "precious\n");
    /* The names an older library would have used, and a name of the current form. */
    snprintf(link, sizeof link, "%s.tmp.%d", path, (int)getpid());
    EXPECT(symlink(target, link) == 0, "plant a link");
    snprintf(link, sizeof link, "%s/.linked.afme.afme-tmp-%d-0", dir, (int)getpid());
    EXPECT(symlink(target, link) == 0, "plant a link");
    EXPECT(afme_model_save(models[0], path) == AFME_OK, "save beside planted links");
    FILE *f = fopen(target, "rb");
    char buf[32] = {0};
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    EXPECT(got == 9 && strcmp(buf, "precious\n") == 0, "a link planted at a temporary name is never followed");
    afme_model *m = NULL;
    EXPECT(afme_model_load(path, &m) == AFME_OK, "the saved model loads");
    afme_model_free(m);
    unlink(link);
}

/* ---- bounded reads ------------------------------------------------------------------------------- */
static void bounded_reads(void) {
    afme_model *m = NULL;
    double t0 = now();
    EXPECT(afme_model_load("/dev/zero", &m) == AFME_ERR_IO && m == NULL, "/dev/zero is refused");
    EXPECT(strstr(afme_last_error(), "not a regular file") != NULL, "the message says why");
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    mkfifo(fifo, 0600);
    EXPECT(afme_model_load(fifo, &m) == AFME_ERR_IO, "a FIFO without a writer is refused, not waited on");
    EXPECT(now() - t0 < 5, "both refusals are immediate");

    char sub[600];
    snprintf(sub, sizeof sub, "%s/zero", dir);
    mkdir(sub, 0700);
    const char *files[][2] = {{"relation2id.txt", "1\nr 0\n"}, {"train2id.txt", "1\n0 1 0\n"},
                              {"valid2id.txt", "0\n"}, {"test2id.txt", "0\n"}};
    char path[700];
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", sub, files[i][0]);
        FILE *f = fopen(path, "wb"); fputs(files[i][1], f); fclose(f);
    }
    snprintf(path, sizeof path, "%s/entity2id.txt", sub);
    EXPECT(symlink("/dev/zero", path) == 0, "link a vocabulary to /dev/zero");
    afme_dataset *ds = NULL;
    EXPECT(afme_dataset_load_openke(sub, &ds) == AFME_ERR_IO && ds == NULL, "a vocabulary linked to /dev/zero is refused");
    EXPECT(strstr(afme_last_error(), "entity2id.txt") != NULL, "the message names the file");

    /* Empty checkpoints are a FORMAT problem, as documented. */
    snprintf(path, sizeof path, "%s/empty.afme", dir);
    fclose(fopen(path, "wb"));
    EXPECT(afme_model_load(path, &m) == AFME_ERR_FORMAT, "a 0-byte checkpoint file is FORMAT");
    uint8_t one = 0;
    EXPECT(afme_model_load_from_buffer(&one, 0, &m) == AFME_ERR_FORMAT, "a 0-byte checkpoint buffer is FORMAT");
    EXPECT(afme_model_load_from_buffer(NULL, 0, &m) == AFME_ERR_FORMAT, "a NULL, 0-byte buffer is FORMAT");
}

/* ---- text files ---------------------------------------------------------------------------------- */
static void write_folder(const char *name, const char *nl, const char *bom) {
    char sub[600], path[700], text[512];
    snprintf(sub, sizeof sub, "%s/%s", dir, name);
    mkdir(sub, 0700);
    const char *names[] = {"entity2id.txt", "relation2id.txt", "train2id.txt", "valid2id.txt", "test2id.txt"};
    const char *lines[][5] = {{"3", "a 0", "b b 1", "c 2", NULL}, {"1", "r 0", NULL}, {"2", "0 1 0", "1 2 0", NULL},
                              {"1", "0 2 0", NULL}, {"1", "2 0 0", NULL}};
    for (int i = 0; i < 5; i++) {
        snprintf(text, sizeof text, "%s", i == 0 ? bom : "");
        for (int j = 0; lines[i][j]; j++) { strcat(text, lines[i][j]); strcat(text, nl); }
        snprintf(path, sizeof path, "%s/%s", sub, names[i]);
        FILE *f = fopen(path, "wb"); fputs(text, f); fclose(f);
    }
}

static void text_files(void) {
    write_folder("lf", "\n", "");
    write_folder("crlf", "\r\n", "\xEF\xBB\xBF");
    afme_dataset *a = NULL, *b = NULL;
    char path[600];
    snprintf(path, sizeof path, "%s/lf", dir);
    EXPECT(afme_dataset_load_openke(path, &a) == AFME_OK, "LF folder");
    snprintf(path, sizeof path, "%s/crlf", dir);
    EXPECT(afme_dataset_load_openke(path, &b) == AFME_OK, "CRLF folder with a BOM loads");
    int64_t ta[6], tb[6], na = 0, nb = 0;
    afme_dataset_get_triples(a, AFME_SPLIT_TRAIN, ta, 2, &na);
    afme_dataset_get_triples(b, AFME_SPLIT_TRAIN, tb, 2, &nb);
    EXPECT(na == 2 && nb == 2 && memcmp(ta, tb, sizeof ta) == 0, "CRLF and LF give the same triples");
    char name[16];
    afme_dataset_entity_name(b, 1, name, sizeof name, NULL);
    EXPECT(strcmp(name, "b b") == 0, "no \\r left in names");
    afme_dataset_entity_name(b, 0, name, sizeof name, NULL);
    EXPECT(strcmp(name, "a") == 0, "the BOM is not part of the first name");

    /* Empty splits: training on none, evaluating none. */
    afme_train_params p = afme_train_default_params();
    p.dim = 4; p.epochs = 1; p.validate_every = 0;
    afme_model *m = NULL;
    EXPECT(afme_model_train(a, &p, NULL, NULL, &m) == AFME_OK, "train on the tiny folder");
    afme_metrics metrics;
    afme_dataset *no_test = NULL;
    write_text("lf/test2id.txt", "0\n");
    snprintf(path, sizeof path, "%s/lf", dir);
    EXPECT(afme_dataset_load_openke(path, &no_test) == AFME_OK, "a folder with an empty test split loads");
    EXPECT(afme_model_evaluate(m, no_test, AFME_SPLIT_TEST, AFME_TIES_REALISTIC, 1, &metrics, NULL, NULL) == AFME_ERR_INVALID_ARGUMENT,
           "evaluating an empty split is refused, not MRR 0");
    afme_model_free(m);
    write_text("lf/train2id.txt", "0\n");
    afme_dataset *no_train = NULL;
    EXPECT(afme_dataset_load_openke(path, &no_train) == AFME_OK, "a folder with an empty train split loads");
    EXPECT(afme_model_train(no_train, &p, NULL, NULL, &m) == AFME_ERR_INVALID_ARGUMENT, "training on no triples is refused");

    /* A 5 MB bad token: the message quotes at most ~80 characters, with the file and line. */
    size_t big = 5 << 20;
    char *text = malloc(big + 64);
    strcpy(text, "1\n0 1 ");
    memset(text + 6, 'x', big);
    strcpy(text + 6 + big, "\n");
    write_text("lf/train2id.txt", text);
    free(text);
    afme_dataset *bad = NULL;
    EXPECT(afme_dataset_load_openke(path, &bad) == AFME_ERR_PARSE, "a bad token is PARSE");
    EXPECT(strlen(afme_last_error()) < 300, "the message stays short (%zu bytes)", strlen(afme_last_error()));
    EXPECT(strstr(afme_last_error(), "train2id.txt:2") != NULL, "the message names file and line");
    write_text("lf/train2id.txt", "2\n0 1 0\n1 \xff 0\n");
    EXPECT(afme_dataset_load_openke(path, &bad) == AFME_ERR_PARSE && strstr(afme_last_error(), "train2id.txt:3") != NULL,
           "non-UTF-8 text is refused with its line number");
    afme_dataset_free(a); afme_dataset_free(b); afme_dataset_free(no_test); afme_dataset_free(no_train);
}

/* ---- stale handles ------------------------------------------------------------------------------- */
static void stale_handles(void) {
    size_t size = 0, written = 0;
    afme_model_serialized_size(models[0], &size);
    uint8_t *bytes = malloc(size);
    afme_model_save_to_buffer(models[0], bytes, size, &written);
    afme_model *stale[64];
    int refused = 0, distinct = 1;
    for (int i = 0; i < 64; i++) {
        afme_model_load_from_buffer(bytes, written, &stale[i]);
        afme_model_free(stale[i]);                 /* the allocator may hand this memory to the next model */
        for (int j = 0; j < i; j++) distinct &= stale[j] != stale[i];
    }
    afme_model *live = NULL;
    afme_model_load_from_buffer(bytes, written, &live);
    int64_t triple[3] = {0, 0, 1};
    float score;
    for (int i = 0; i < 64; i++) refused += afme_model_score(stale[i], triple, 1, &score) == AFME_ERR_INVALID_HANDLE;
    EXPECT(distinct, "a new handle never equals a freed one");
    EXPECT(refused == 64, "every stale handle is refused after its memory is reused (%d of 64)", refused);
    EXPECT(afme_model_score(live, triple, 1, &score) == AFME_OK, "the live model scores");
    EXPECT(afme_model_free(stale[0]) == AFME_ERR_INVALID_HANDLE, "double free is refused");
    EXPECT(afme_dataset_free((afme_dataset *)live) == AFME_ERR_INVALID_HANDLE, "a model passed as a dataset is refused");
    afme_model_free(live);
    free(bytes);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/afme-hardening-XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    bounded_reads();
    text_files();
    concurrent_saves();
    planted_links();
    killed_saves();
    stale_handles();
    afme_model_free(models[0]); afme_model_free(models[1]);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
