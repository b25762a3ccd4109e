/*
 * vmaccel/common.h - export macro, version, error codes, buffers.
 *
 * House rules shared by every vmaccel header:
 *  - Every fallible call returns int: 0 on success or a negative VMACCEL_E*
 *    code. Results come back through out-parameters.
 *  - vmaccel_error_last() gives the calling thread's last detailed message.
 *  - Handles are opaque. A freed or foreign handle is detected and yields
 *    VMACCEL_EINVAL; every _free(NULL) is a no-op.
 *  - Options structs start with `unsigned version`; initialise them with the
 *    matching *_OPTIONS_INIT macro or *_options_init() function.
 *  - Platforms: every function works on Linux and on Windows (the mingw-w64
 *    build, tested under Wine) unless its comment has a "Platforms:" line
 *    saying what differs. There is no macOS build.
 */
#ifndef VMACCEL_COMMON_H
#define VMACCEL_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define VMACCEL_BEGIN_DECLS extern "C" {
#define VMACCEL_END_DECLS }
#else
#define VMACCEL_BEGIN_DECLS
#define VMACCEL_END_DECLS
#endif

#if defined(_WIN32)
#  if defined(VMACCEL_BUILDING)
#    define VMACCEL_API __declspec(dllexport)
#  elif defined(VMACCEL_STATIC) /* linking the static libvmaccel.a */
#    define VMACCEL_API
#  else
#    define VMACCEL_API __declspec(dllimport)
#  endif
#else
#  define VMACCEL_API __attribute__((visibility("default")))
#endif

VMACCEL_BEGIN_DECLS

#define VMACCEL_VERSION_MAJOR 0
#define VMACCEL_VERSION_MINOR 1
#define VMACCEL_VERSION_PATCH 0

/* Error codes. Stable: values never change meaning once released. */
enum vmaccel_error {
    VMACCEL_OK = 0,
    VMACCEL_EINVAL = -1,    /* bad argument, or a freed/foreign handle */
    VMACCEL_ENOMEM = -2,    /* out of memory or a fixed capacity reached */
    VMACCEL_ENOTSUP = -3,   /* not supported on this host or not built */
    VMACCEL_ENOENT = -4,    /* no such object (file, VM, thread, node) */
    VMACCEL_EPERM = -5,     /* the OS refused: missing privilege */
    VMACCEL_ESTATE = -6,    /* the call does not fit the object's state */
    VMACCEL_EIO = -7,       /* an OS call failed for another reason */
    VMACCEL_EPARSE = -8,    /* malformed input (XML, synthetic, JSON, ...) */
    VMACCEL_ETIMEDOUT = -9, /* a wait ran out */
    VMACCEL_EGONE = -10,    /* the VM, process or thread no longer exists */
    VMACCEL_EBUSY = -11,    /* resource in use, try again */
    VMACCEL_ERANGE = -12,   /* a value out of the accepted range */
    VMACCEL_EAGAIN = -13,   /* nothing available now (e.g. empty queue) */
    VMACCEL_EFAULT = -14    /* a translation or access faulted */
};

/* Name of an error code ("VMACCEL_EINVAL: invalid argument"). Never NULL.
 * Thread safety: any thread. */
VMACCEL_API const char *vmaccel_strerror(int code);

/* The calling thread's last detailed error message ("" if none). Valid until
 * the next vmaccel call on the same thread. Thread safety: thread-local. */
VMACCEL_API const char *vmaccel_error_last(void);

/* "MAJOR.MINOR.PATCH" of the loaded library. Thread safety: any thread. */
VMACCEL_API const char *vmaccel_version(void);

/* MAJOR*10000 + MINOR*100 + PATCH of the loaded library. */
VMACCEL_API unsigned vmaccel_version_number(void);

/* A library-allocated byte buffer (reports, events). Release it with
 * vmaccel_buf_free(); text and JSON are NUL-terminated (len excludes it). */
typedef struct vmaccel_buf {
    uint8_t *data;
    size_t len;
} vmaccel_buf;

/* Frees buf->data and zeroes *buf. NULL or an empty buffer is a no-op. */
VMACCEL_API void vmaccel_buf_free(vmaccel_buf *buf);

/* Output formats for reports. */
typedef enum vmaccel_format {
    VMACCEL_FORMAT_PROTOBUF = 0, /* binary protobuf (proto/vmaccel.proto) */
    VMACCEL_FORMAT_TEXT = 1,     /* human-readable text */
    VMACCEL_FORMAT_JSON = 2      /* canonical protobuf JSON mapping */
} vmaccel_format;

VMACCEL_END_DECLS

#endif /* VMACCEL_COMMON_H */
