/* How much the first touch of fresh memory costs on this machine, against re-touching memory the
 * process has already faulted in. On the firecracker VMs here the first touch of a page is paid to the
 * host (~15 µs per 4 KiB page, BENCHMARKS.md), so a training process pays it once for its whole
 * working set: this is what makes an AFME first epoch slower than the next ones. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 1024, n = mib << 20, pages = n / 4096;
    for (int rep = 0; rep < 2; rep++) {
        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { perror("mmap"); return 1; }
        double t0 = now();
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
        double t1 = now();
        for (size_t i = 0; i < n; i += 4096) p[i] = 2;
        double t2 = now();
        printf("%zu MiB, mapping %d: first touch %.3f s (%.2f us/page), second pass %.3f s\n",
               mib, rep + 1, t1 - t0, (t1 - t0) / pages * 1e6, t2 - t1);
        munmap(p, n);
    }
    return 0;
}
