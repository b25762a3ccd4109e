/* libFuzzer: protobuf bytes the API accepts (vmaccel_event_render decodes
 * an Event message and renders it as JSON and text). */
#include <vmaccel/vmaccel.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vmaccel_buf out = {0};
    if (vmaccel_event_render(data, size, VMACCEL_FORMAT_JSON, &out) == 0)
        vmaccel_buf_free(&out);
    if (vmaccel_event_render(data, size, VMACCEL_FORMAT_TEXT, &out) == 0)
        vmaccel_buf_free(&out);
    return 0;
}
