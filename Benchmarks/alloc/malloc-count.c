// Counts heap allocations in a process it is preloaded into (LD_PRELOAD), for Benchmarks/alloc/count.sh.
// SIGUSR2 writes "allocations=N" to stderr, so a script can read the count before and after a known number of
// requests. The real allocator is found with dlsym(RTLD_NEXT); dlsym itself may call calloc, which a small
// static arena serves while the lookup is in progress.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

static atomic_ulong allocations;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static char bootstrap[4096];
static size_t bootstrap_used;
static int resolving;

static void report(int signal) {
    (void)signal;
    char text[64] = "allocations=";
    char digits[24];
    unsigned long n = atomic_load(&allocations);
    int length = 0;
    do { digits[length++] = (char)('0' + n % 10); n /= 10; } while (n > 0);
    size_t at = strlen(text);
    while (length > 0) text[at++] = digits[--length];
    text[at++] = '\n';
    (void)write(2, text, at);
}

__attribute__((constructor)) static void setup(void) {
    resolving = 1;
    real_malloc = dlsym(RTLD_NEXT, "malloc");
    real_calloc = dlsym(RTLD_NEXT, "calloc");
    real_realloc = dlsym(RTLD_NEXT, "realloc");
    real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    resolving = 0;
    signal(SIGUSR2, report);
}

void *malloc(size_t size) {
    if (!real_malloc) setup();
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_malloc(size);
}

void *calloc(size_t count, size_t size) {
    if (resolving || !real_calloc) {
        size_t bytes = (count * size + 15) & ~(size_t)15;
        if (bootstrap_used + bytes > sizeof bootstrap) return NULL;
        void *p = bootstrap + bootstrap_used;
        bootstrap_used += bytes;
        return p;
    }
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    if (!real_realloc) setup();
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_realloc(pointer, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (!real_posix_memalign) setup();
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_posix_memalign(out, alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (!real_aligned_alloc) setup();
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
    return real_aligned_alloc(alignment, size);
}

void free(void *pointer) {
    static void (*real_free)(void *);
    if (pointer >= (void *)bootstrap && pointer < (void *)(bootstrap + sizeof bootstrap)) return;
    if (!real_free) real_free = dlsym(RTLD_NEXT, "free");
    real_free(pointer);
}
