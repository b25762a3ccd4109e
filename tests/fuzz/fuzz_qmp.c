/* libFuzzer: QMP messages as a QEMU monitor socket (or anything posing as
 * one) sends them: classification, query-cpus-fast and query-memdev
 * replies. Whatever parses must be within bounds. */
#include "vmm/qmp_parse.h"

#include <stdlib.h>
#include <string.h>

static va_qmp_cpu cpus[VA_QMP_MAX_CPUS];
static va_memdev memdevs[VA_VM_MAX_MEMDEVS];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly the bytes: the parsers take a length, never a terminator. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    va_qmp_msg m;
    if (va_qmp_classify(text, size, &m) == 0 &&
        (m.kind > VA_QMP_EVENT || strnlen(m.error, sizeof m.error) == sizeof m.error))
        abort();
    size_t n = 0;
    if (va_qmp_parse_cpus(text, size, cpus, VA_QMP_MAX_CPUS, &n) == 0) {
        if (n == 0 || n > VA_QMP_MAX_CPUS)
            abort();
        for (size_t i = 0; i < n; i++)
            if (cpus[i].tid <= 0 || cpus[i].index >= VA_QMP_MAX_CPUS ||
                (i && cpus[i].index <= cpus[i - 1].index))
                abort();
    }
    if (va_qmp_parse_memdevs(text, size, memdevs, VA_VM_MAX_MEMDEVS, &n) == 0)
        for (size_t i = 0; i < n; i++)
            if (memdevs[i].size == 0 || n > VA_VM_MAX_MEMDEVS)
                abort();
    free(text);
    return 0;
}
