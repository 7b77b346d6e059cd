#define _GNU_SOURCE
#include "real.h"

#include <dlfcn.h>

struct et_real_functions et_real;

/* Set while this thread is inside dlsym: a hook reached from there (another
 * library's allocator closing a file, say) must not resolve again. */
static __thread int resolving __attribute__((tls_model("initial-exec")));

/* Idempotent: two threads racing here store the same values. */
void et_resolve_real_functions(void)
{
    if (resolving)
        return;
    resolving = 1;
#define ET_RESOLVE(name, ret, params)                                                                          \
    if (!et_real.name)                                                                                         \
        __atomic_store_n(&et_real.name, (ret(*) params)dlsym(RTLD_NEXT, #name), __ATOMIC_RELAXED);
    ET_REAL_FUNCTIONS(ET_RESOLVE)
#undef ET_RESOLVE
    resolving = 0;
}
