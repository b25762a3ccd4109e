/*
 * bindings/vmaccel.i - the one SWIG interface for every language binding.
 *
 * It %includes the public headers unchanged, so every VMACCEL_API function
 * is wrapped without a hand-written wrapper. What makes the C shapes usable
 * is a small set of typemaps keyed on *parameter shapes*, not on functions:
 *
 *   T **                       an out-handle            -> returned value
 *   unsigned/int/size_t/... *  a scalar out-parameter   -> returned value
 *   enum *                     an enum out-parameter    -> returned int
 *   T *info                    a versioned info struct  -> returned object
 *   vmaccel_buf *              a library buffer         -> bytes
 *   (char *, size_t)           a caller's text buffer   -> str
 *   (unsigned *, size_t, size_t *)  "fill up to cap, say how many"
 *                              -> (values, count) / []uint32 + count
 *   (const unsigned *, size_t) an input array           <- sequence/slice
 *
 * SWIG matches multi-argument typemaps by parameter name too, so the
 * buffer shapes are %apply'd to the names the headers use (section
 * "Parameter names" below); tests/python/test_interface.py fails when a
 * header grows a buffer-shaped parameter list that is not listed there.
 *   int (return)               0 / -VMACCEL_E*  -> exception (Python)
 *
 * Ownership: handles come back as bare SWIG pointers; the idiomatic layers
 * (bindings/python/vmaccel, bindings/go) own them: each _new has its _free
 * called exactly once by the owning object, and borrowed handles (the
 * manager's topology or SMMU model) keep their owner alive.
 *
 * Python is built with -threads, so the GIL is released around every C
 * call. Go cannot get thread-local error text through a typemap (a goroutine
 * may change OS threads between two cgo calls), so the Go layer reads
 * vmaccel_error_last() with the OS thread locked (bindings/go/call.go).
 */
%module capi

%{
/* The same headers as the %include list at the end. */
#include <vmaccel/vmaccel.h>
#include <vmaccel/events.h>
#include <vmaccel/vm.h>
#include <vmaccel/affinity.h>
#include <vmaccel/numa.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
%}

/* Every supported host is LP64: uint64_t is unsigned long there, and SWIG
 * must agree with the C compiler or pointer casts mismatch. */
#ifndef SWIGWORDSIZE32
#define SWIGWORDSIZE64
#endif
%include <stdint.i>

/* ------------------------------------------------------------------ */
/* Versioned structs: constructors that apply the header's _INIT value, */
/* so a struct made from Python or Go always carries the right version. */
/* ------------------------------------------------------------------ */
%define VMACCEL_VERSIONED(TYPE, INIT)
%{
static TYPE *va_swig_new_##TYPE(void)
{
    TYPE init = INIT;
    TYPE *p = (TYPE *)malloc(sizeof *p);
    if (p)
        *p = init;
    return p;
}
%}
%extend TYPE {
    TYPE() { return va_swig_new_##TYPE(); }
}
%enddef

/* Result structs without a version field: zeroed. */
%define VMACCEL_PLAIN(TYPE)
%{
static TYPE *va_swig_new_##TYPE(void)
{
    return (TYPE *)calloc(1, sizeof(TYPE));
}
%}
%extend TYPE {
    TYPE() { return va_swig_new_##TYPE(); }
}
%enddef

/* Options structs own copies of the strings set on them: the setter frees
 * the previous copy and the destructor frees them all (every _INIT macro
 * sets these pointers to NULL, so nothing static is ever freed). */
%typemap(memberin) const char * {
    free((char *)$1);
    $1 = $input ? strdup($input) : NULL;
}

/* ------------------------------------------------------------------ */
/* Python                                                              */
/* ------------------------------------------------------------------ */
#ifdef SWIGPYTHON

%{
/* Raises vmaccel.Error (the subclass for `code`) carrying the calling
 * thread's detailed message. Runs on the thread that made the C call, with
 * the GIL held again, so vmaccel_error_last() is that call's message. */
static void va_py_raise(int code)
{
    const char *msg = vmaccel_error_last();
    PyObject *mod = PyImport_ImportModule("vmaccel._errors");
    if (!mod)
        return;
    PyObject *exc = PyObject_CallMethod(mod, "_from_code", "iy", code, msg ? msg : "");
    Py_DECREF(mod);
    if (!exc)
        return;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
}
%}

/* int struct members keep SWIG's plain int getter (saved here before the
 * error typemap below replaces it; applied by name in "Parameter names"). */
%typemap(out) int VA_PLAIN_INT = int;

/* Every int the API returns is 0 or a negative VMACCEL_E* code (a few
 * calls, e.g. an fd getter, may return a non-negative value). */
%typemap(out) int {
    if ($1 < 0) {
        va_py_raise($1);
        SWIG_fail;
    }
    $result = $1 > 0 ? PyLong_FromLong($1) : SWIG_Py_Void();
}

/* vmaccel_smmu_translate's VMACCEL_EFAULT is an outcome with a fault
 * record in *out, so it comes back as the int (the layer raises with the
 * record); other errors raise as usual. So is a stall (VMACCEL_EAGAIN) and
 * a stall still waiting (VMACCEL_ETIMEDOUT). */
%define VA_PY_OUTCOME_RC(FUNC, OK1, OK2)
%typemap(out) int FUNC {
    if ($1 < 0 && $1 != OK1 && $1 != OK2) {
        va_py_raise($1);
        SWIG_fail;
    }
    $result = PyLong_FromLong($1);
}
%enddef
VA_PY_OUTCOME_RC(vmaccel_smmu_translate, VMACCEL_EFAULT, VMACCEL_EFAULT)
VA_PY_OUTCOME_RC(vmaccel_smmu_translate_stallable, VMACCEL_EFAULT, VMACCEL_EAGAIN)
VA_PY_OUTCOME_RC(va_swig_smmu_translate_many, VMACCEL_EFAULT, VMACCEL_EFAULT)
VA_PY_OUTCOME_RC(vmaccel_smmu_stall_wait, VMACCEL_ETIMEDOUT, VMACCEL_ETIMEDOUT)
VA_PY_OUTCOME_RC(vmaccel_smmu_ats_translated, VMACCEL_EFAULT, VMACCEL_EFAULT)
VA_PY_OUTCOME_RC(va_swig_endpoint_next, VMACCEL_EAGAIN, VMACCEL_EAGAIN)

/* Out-handles: T **name. */
%typemap(in, numinputs=0) SWIGTYPE ** ($*1_ltype temp = NULL) "$1 = &temp;"
%typemap(argout) SWIGTYPE ** {
    $result = SWIG_Python_AppendOutput($result,
        SWIG_NewPointerObj((void *)temp$argnum, $*1_descriptor, 0));
}

/* Scalar out-parameters. */
%define VA_PY_OUT(TYPE, FROM)
%typemap(in, numinputs=0) TYPE * (TYPE temp = 0) "$1 = &temp;"
%typemap(argout) TYPE * {
    $result = SWIG_Python_AppendOutput($result, FROM(temp$argnum));
}
/* SWIG would otherwise fall back from `const TYPE *` (an input) to the
 * out-parameter typemaps above. */
%typemap(in) const TYPE * = SWIGTYPE *;
%typemap(argout) const TYPE * "";
%enddef
VA_PY_OUT(unsigned, PyLong_FromUnsignedLong)
VA_PY_OUT(int, PyLong_FromLong)
VA_PY_OUT(size_t, PyLong_FromSize_t)
VA_PY_OUT(uint32_t, PyLong_FromUnsignedLong)
VA_PY_OUT(uint64_t, PyLong_FromUnsignedLongLong)
VA_PY_OUT(int64_t, PyLong_FromLongLong)
VA_PY_OUT(double, PyFloat_FromDouble)

/* Enum out-parameters come back as ints (the Python layer maps them to
 * IntEnums). */
%typemap(in, numinputs=0) enum SWIGTYPE * ($*1_ltype temp) "memset(&temp, 0, sizeof temp); $1 = &temp;"
%typemap(argout) enum SWIGTYPE * {
    $result = SWIG_Python_AppendOutput($result, PyLong_FromLong((long)temp$argnum));
}

/* Versioned info structs: T *info is filled from a fresh, initialised
 * struct and returned as an owned SWIG object. */
%typemap(in, numinputs=0) SWIGTYPE *info (void *owned = NULL) {
    owned = va_swig_new_$*1_ltype();
    if (!owned) {
        PyErr_NoMemory();
        SWIG_fail;
    }
    $1 = ($1_ltype)owned;
}
%typemap(argout) SWIGTYPE *info {
    $result = SWIG_Python_AppendOutput($result,
        SWIG_NewPointerObj(owned$argnum, $1_descriptor, SWIG_POINTER_OWN));
    owned$argnum = NULL;
}
%typemap(freearg) SWIGTYPE *info "free(owned$argnum);"

/* Library buffers: copied into bytes, then released. */
%typemap(in, numinputs=0) vmaccel_buf * (vmaccel_buf temp = {NULL, 0}) "$1 = &temp;"
%typemap(argout) vmaccel_buf * {
    $result = SWIG_Python_AppendOutput($result,
        PyBytes_FromStringAndSize((const char *)temp$argnum.data,
                                  (Py_ssize_t)temp$argnum.len));
}
%typemap(freearg) vmaccel_buf * "vmaccel_buf_free(&temp$argnum);"

/* A caller's text buffer (char *reason, size_t reason_len). */
%typemap(in, numinputs=0) (char *TEXT_OUT, size_t TEXT_CAP) (char temp[1024]) {
    temp[0] = '\0';
    $1 = temp;
    $2 = sizeof temp;
}
%typemap(argout) (char *TEXT_OUT, size_t TEXT_CAP) {
    $result = SWIG_Python_AppendOutput($result,
        PyUnicode_DecodeUTF8(temp$argnum, (Py_ssize_t)strnlen(temp$argnum, sizeof temp$argnum), "replace"));
}

/* (unsigned *out, size_t cap, size_t *count): Python passes cap and gets
 * (values (at most cap), count); the layer calls twice when cap is short. */
%typemap(in) (unsigned *ARRAY_OUT, size_t ARRAY_CAP, size_t *ARRAY_COUNT) (size_t count = 0) {
    size_t cap = PyLong_AsSize_t($input);
    if (PyErr_Occurred())
        SWIG_fail;
    $1 = cap ? (unsigned *)calloc(cap, sizeof(unsigned)) : NULL;
    if (cap && !$1) {
        PyErr_NoMemory();
        SWIG_fail;
    }
    $2 = cap;
    $3 = &count;
}
%typemap(argout) (unsigned *ARRAY_OUT, size_t ARRAY_CAP, size_t *ARRAY_COUNT) {
    size_t n = count$argnum < $2 ? count$argnum : $2;
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (!list)
        SWIG_fail;
    for (size_t i = 0; i < n; i++)
        PyList_SET_ITEM(list, (Py_ssize_t)i, PyLong_FromUnsignedLong($1[i]));
    /* One (values, count) tuple: AppendOutput would merge a bare list. */
    $result = SWIG_Python_AppendOutput($result,
        Py_BuildValue("(NN)", list, PyLong_FromSize_t(count$argnum)));
}
%typemap(freearg) (unsigned *ARRAY_OUT, size_t ARRAY_CAP, size_t *ARRAY_COUNT) "free($1);"

/* Input arrays: any sequence of non-negative ints. */
%typemap(in) (const unsigned *ARRAY_IN, size_t ARRAY_LEN) {
    PyObject *seq = PySequence_Fast($input, "expected a sequence of ints");
    if (!seq)
        SWIG_fail;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    $1 = n ? (unsigned *)calloc((size_t)n, sizeof(unsigned)) : NULL;
    for (Py_ssize_t i = 0; $1 && i < n; i++) {
        unsigned long v = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(seq, i));
        if (PyErr_Occurred() || v > 0xffffffffUL) {
            Py_DECREF(seq);
            free((void *)$1);
            $1 = NULL;
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_OverflowError, "value does not fit in unsigned");
            SWIG_fail;
        }
        ((unsigned *)$1)[i] = (unsigned)v;
    }
    Py_DECREF(seq);
    if (n && !$1) {
        PyErr_NoMemory();
        SWIG_fail;
    }
    $2 = (size_t)n;
}
%typemap(freearg) (const unsigned *ARRAY_IN, size_t ARRAY_LEN) "free((void *)$1);"

/* Input uint64 arrays: a sequence of ints, or None for NULL. */
%typemap(in) (const uint64_t *ARRAY_IN, size_t ARRAY_LEN) {
    $1 = NULL;
    $2 = 0;
    if ($input != Py_None) {
        PyObject *seq = PySequence_Fast($input, "expected a sequence of ints or None");
        if (!seq)
            SWIG_fail;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
        uint64_t *a = n ? (uint64_t *)calloc((size_t)n, sizeof *a) : NULL;
        if (n && !a) {
            Py_DECREF(seq);
            PyErr_NoMemory();
            SWIG_fail;
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            a[i] = PyLong_AsUnsignedLongLong(PySequence_Fast_GET_ITEM(seq, i));
            if (PyErr_Occurred()) {
                Py_DECREF(seq);
                free(a);
                SWIG_fail;
            }
        }
        Py_DECREF(seq);
        $1 = a;
        $2 = (size_t)n;
    }
}
%typemap(freearg) (const uint64_t *ARRAY_IN, size_t ARRAY_LEN) "free((void *)$1);"

/* Bytes in: any bytes-like object (bytes, bytearray, memoryview). */
%typemap(in) (const char *BYTES_IN, size_t BYTES_LEN) (Py_buffer view, int have_view = 0) {
    if (PyObject_GetBuffer($input, &view, PyBUF_SIMPLE) < 0)
        SWIG_fail;
    have_view = 1;
    $1 = ($1_ltype)view.buf;
    $2 = (size_t)view.len;
}
%typemap(freearg) (const char *BYTES_IN, size_t BYTES_LEN) "if (have_view$argnum) PyBuffer_Release(&view$argnum);"

#endif /* SWIGPYTHON */

/* ------------------------------------------------------------------ */
/* Go                                                                  */
/* ------------------------------------------------------------------ */
#ifdef SWIGGO

/* `package` and `type` are Go keywords. */
%rename(Package) vmaccel_pu_info::package;
%rename(Type) vmaccel_event::type;

/* Out-handles: Go passes *uintptr; the layer turns it into the handle. */
%typemap(gotype) SWIGTYPE ** "*uintptr"
%typemap(in) SWIGTYPE ** %{ $1 = ($1_ltype)$input; %}
%typemap(argout) SWIGTYPE ** ""

/* Scalar out-parameters point straight at Go values of the same size. */
%define VA_GO_OUT(TYPE, GOTYPE)
%typemap(gotype) TYPE * "*GOTYPE"
%typemap(in) TYPE * %{ $1 = ($1_ltype)$input; %}
%typemap(argout) TYPE * ""
%enddef
VA_GO_OUT(unsigned, uint32)
VA_GO_OUT(int, int32)
VA_GO_OUT(size_t, uint64)
VA_GO_OUT(uint32_t, uint32)
VA_GO_OUT(uint64_t, uint64)
VA_GO_OUT(int64_t, int64)
VA_GO_OUT(double, float64)

/* Enum out-parameters (C enums are int-sized). */
%typemap(gotype) enum SWIGTYPE * "*int32"
%typemap(in) enum SWIGTYPE * %{ $1 = ($1_ltype)$input; %}
%typemap(argout) enum SWIGTYPE * ""

/* Library buffers come back as *[]byte: C copies the bytes into a Go
 * string allocation, then swigCopyString moves them into Go memory. */
%typemap(gotype) vmaccel_buf * "*[]byte"
%typemap(imtype) vmaccel_buf * "*string"
%typemap(goin) vmaccel_buf * %{
	var swig_buf_$input string
	$result = &swig_buf_$input
%}
%typemap(in) vmaccel_buf * (vmaccel_buf temp = {NULL, 0}) %{ $1 = &temp; %}
%typemap(argout, fragment="AllocateString") vmaccel_buf * %{
  *$input = Swig_AllocateString((const char *)temp$argnum.data, temp$argnum.len);
%}
%typemap(freearg) vmaccel_buf * %{ vmaccel_buf_free(&temp$argnum); %}
%typemap(goargout, fragment="CopyString") vmaccel_buf * %{
	if $1 != nil {
		*$1 = []byte(swigCopyString(*$input))
	}
%}

/* A caller's text buffer becomes *string. */
%typemap(gotype) (char *TEXT_OUT, size_t TEXT_CAP) "*string"
%typemap(imtype) (char *TEXT_OUT, size_t TEXT_CAP) "*string"
%typemap(in) (char *TEXT_OUT, size_t TEXT_CAP) (char temp[1024]) %{
  temp[0] = '\0';
  $1 = temp;
  $2 = sizeof temp;
%}
%typemap(argout, fragment="AllocateString") (char *TEXT_OUT, size_t TEXT_CAP) %{
  *$input = Swig_AllocateString(temp$argnum, strnlen(temp$argnum, sizeof temp$argnum));
%}
%typemap(goargout, fragment="CopyString") (char *TEXT_OUT, size_t TEXT_CAP) %{
	*$input = swigCopyString(*$input)
%}

/* (unsigned *out, size_t cap): a Go []uint32 (its length is the cap);
 * the size_t *count that follows is a plain scalar out-parameter. */
%typemap(gotype) (unsigned *ARRAY_OUT, size_t ARRAY_CAP) "[]uint32"
%typemap(in) (unsigned *ARRAY_OUT, size_t ARRAY_CAP) %{
  $1 = ($1_ltype)$input.array;
  $2 = (size_t)$input.len;
%}
%typemap(gotype) (const unsigned *ARRAY_IN, size_t ARRAY_LEN) "[]uint32"
%typemap(in) (const unsigned *ARRAY_IN, size_t ARRAY_LEN) %{
  $1 = ($1_ltype)$input.array;
  $2 = (size_t)$input.len;
%}
%typemap(gotype) (const uint64_t *ARRAY_IN, size_t ARRAY_LEN) "[]uint64"
%typemap(in) (const uint64_t *ARRAY_IN, size_t ARRAY_LEN) %{
  $1 = $input.len ? ($1_ltype)$input.array : NULL;
  $2 = (size_t)$input.len;
%}

%apply (char *STRING, size_t LENGTH) { (const char *BYTES_IN, size_t BYTES_LEN) };
/* Binary input (an encoded event): a Go []byte. */
%typemap(gotype) (const uint8_t *BYTES_IN, size_t BYTES_LEN) "[]byte"
%typemap(in) (const uint8_t *BYTES_IN, size_t BYTES_LEN) %{
  $1 = ($1_ltype)$input.array;
  $2 = (size_t)$input.len;
%}

#endif /* SWIGGO */

/* ------------------------------------------------------------------ */
/* Parameter names of the buffer shapes in the headers.                */
/* ------------------------------------------------------------------ */
%apply (char *TEXT_OUT, size_t TEXT_CAP) { (char *reason, size_t reason_len),
                                           (char *source, size_t source_len) };
/* Set through va_swig_vm_set_numa_cells (below): its array of structs
 * holding pointers does not cross into Python or Go. */
%ignore vmaccel_numa_cell;
#ifdef SWIGPYTHON
/* int members of the headers' structs (test_interface.py checks none is
 * missing: a missing one reads as None instead of 0). */
%apply int VA_PLAIN_INT { int api_version, int allowed, int present, int level,
                          int pid, int in_process, int gone, int tid, int last_cpu,
                          int planned_cpu, int result, int pinned, int dry_run,
                          int set_nice, int nice, int rt_priority, int migrate_whole,
                          int override_pins, int known, int operator_pinned,
                          int memory_pinned, int kept, int overrode, int guest_node,
                          int migrate_stop_vcpus };
#endif
#ifdef SWIGPYTHON
%apply (unsigned *ARRAY_OUT, size_t ARRAY_CAP, size_t *ARRAY_COUNT) {
    (unsigned *cpus, size_t cap, size_t *count) };
#else
%apply (unsigned *ARRAY_OUT, size_t ARRAY_CAP) { (unsigned *cpus, size_t cap) };
#endif

/* Out-structs that are not named `info`. */
#ifdef SWIGPYTHON
%apply SWIGTYPE *info { vmaccel_smmu_result *, vmaccel_smmu_stream_stats *,
                        vmaccel_event_stats *, vmaccel_smmu_ats_result *,
                        vmaccel_vcpu_limits * };
#endif


%apply (const uint64_t *ARRAY_IN, size_t ARRAY_LEN) {
    (const uint64_t *memory_per_node, size_t nnodes), (const uint64_t *iovas, size_t n) };

/* C event callbacks run on the manager's loop thread; Python and Go must
 * never be entered there (DESIGN.md), so they read the pull queue
 * (vmaccel_events_fd / vmaccel_event_next) instead and these two calls are
 * left out of the bindings. The struct a callback receives goes too. */
%ignore vmaccel_subscribe;
%ignore vmaccel_unsubscribe;
%ignore vmaccel_event;
/* The same for the SMMU's endpoint callbacks (they run under the model's
 * lock on whichever thread made them happen): the bindings install C
 * callbacks that queue the messages (va_swig_endpoint below). */
%ignore vmaccel_smmu_set_endpoint_ops;
%ignore vmaccel_smmu_endpoint_ops;
/* translate_many fills an array of results: wrapped by a version whose
 * results come back packed in a buffer (below), under the same name. */
%ignore vmaccel_smmu_translate_many;
%rename(vmaccel_smmu_translate_many) va_swig_smmu_translate_many;

/* Byte strings in: JSON text, guest memory contents, encoded events. */
%apply (const char *BYTES_IN, size_t BYTES_LEN) { (const char *json, size_t len),
                                                  (const char *data, size_t len) };
#ifdef SWIGPYTHON
%apply (const char *BYTES_IN, size_t BYTES_LEN) { (const uint8_t *data, size_t len) };
#else
%apply (const uint8_t *BYTES_IN, size_t BYTES_LEN) { (const uint8_t *data, size_t len) };
#endif
/* The VM options' array setters (see the %extend below). */
%apply (const unsigned *ARRAY_IN, size_t ARRAY_LEN) { (const unsigned *tids, size_t n) };
%apply (const uint64_t *ARRAY_IN, size_t ARRAY_LEN) { (const uint64_t *start_length_pairs, size_t n) };


/* Every versioned struct of the headers; the info typemap needs its
 * constructor (a missing line here is a compile error in the wrapper). */
VMACCEL_VERSIONED(vmaccel_topology_options, VMACCEL_TOPOLOGY_OPTIONS_INIT)
VMACCEL_VERSIONED(vmaccel_manager_options, VMACCEL_MANAGER_OPTIONS_INIT)
VMACCEL_VERSIONED(vmaccel_smmu_options, VMACCEL_SMMU_OPTIONS_INIT)
VMACCEL_VERSIONED(vmaccel_pu_info, VMACCEL_PU_INFO_INIT)
VMACCEL_VERSIONED(vmaccel_numa_node_info, VMACCEL_NUMA_NODE_INFO_INIT)
VMACCEL_VERSIONED(vmaccel_cache_info, VMACCEL_CACHE_INFO_INIT)
VMACCEL_VERSIONED(vmaccel_hv_info, VMACCEL_HV_INFO_INIT)
VMACCEL_VERSIONED(vmaccel_iommu_info, VMACCEL_IOMMU_INFO_INIT)
VMACCEL_VERSIONED(vmaccel_smmu_domain, VMACCEL_SMMU_DOMAIN_INIT)
VMACCEL_VERSIONED(vmaccel_smmu_memory, VMACCEL_SMMU_MEMORY_INIT)
VMACCEL_PLAIN(vmaccel_smmu_fault)
VMACCEL_PLAIN(vmaccel_smmu_result)
VMACCEL_PLAIN(vmaccel_smmu_stream_stats)
VMACCEL_PLAIN(vmaccel_smmu_ats_result)
VMACCEL_PLAIN(vmaccel_smmu_atc_inv)
VMACCEL_PLAIN(vmaccel_smmu_prg_response)
VMACCEL_VERSIONED(vmaccel_plan_options, VMACCEL_PLAN_OPTIONS_INIT)
VMACCEL_VERSIONED(vmaccel_event_stats, VMACCEL_EVENT_STATS_INIT)
VMACCEL_VERSIONED(vmaccel_vm_options, VMACCEL_VM_OPTIONS_INIT)
VMACCEL_VERSIONED(vmaccel_vm_info, VMACCEL_VM_INFO_INIT)
VMACCEL_VERSIONED(vmaccel_vcpu_info, VMACCEL_VCPU_INFO_INIT)
VMACCEL_VERSIONED(vmaccel_vcpu_limits, VMACCEL_VCPU_LIMITS_INIT)
VMACCEL_VERSIONED(vmaccel_memory_region_info, VMACCEL_MEMORY_REGION_INFO_INIT)
VMACCEL_VERSIONED(vmaccel_pin_options, VMACCEL_PIN_OPTIONS_INIT)
VMACCEL_VERSIONED(vmaccel_numa_options, VMACCEL_NUMA_OPTIONS_INIT)
VMACCEL_VERSIONED(vmaccel_locality_info, VMACCEL_LOCALITY_INFO_INIT)

/* ------------------------------------------------------------------ */
/* The public headers, unchanged.                                      */
/* ------------------------------------------------------------------ */
/* VMACCEL_API expands to a GCC attribute SWIG's parser does not take. */
#define __attribute__(x)
%include <vmaccel/common.h>
%include <vmaccel/topology.h>
%include <vmaccel/manager.h>
%include <vmaccel/smmu.h>
%include <vmaccel/report.h>
%include <vmaccel/events.h>
%include <vmaccel/vm.h>
%include <vmaccel/affinity.h>
%include <vmaccel/numa.h>

/* Options destructors free the strings the setters copied. */
%extend vmaccel_topology_options {
    ~vmaccel_topology_options() {
        free((char *)$self->path);
        free((char *)$self->synthetic);
        free((char *)$self->allowed_cpus);
        free($self);
    }
}
%extend vmaccel_plan_options {
    ~vmaccel_plan_options() {
        free((char *)$self->reserved_cpus);
        free($self);
    }
}
%extend vmaccel_pin_options {
    ~vmaccel_pin_options() {
        free((char *)$self->reserved_cpus);
        free($self);
    }
}
/* The VM options' arrays are owned copies too, set through these two
 * methods (a struct member cannot take a Python list or a Go slice). */
%extend vmaccel_vm_options {
    /* vCPU thread ids in vCPU order. */
    int set_vcpu_tids(const unsigned *tids, size_t n) {
        int *copy = n ? (int *)malloc(n * sizeof *copy) : NULL;
        if (n && !copy)
            return VMACCEL_ENOMEM;
        for (size_t i = 0; i < n; i++)
            copy[i] = (int)tids[i];
        free((void *)$self->vcpu_tids);
        $self->vcpu_tids = copy;
        $self->nvcpu_tids = n;
        return 0;
    }
    /* Guest RAM as start, length, start, length, ... */
    int set_memory(const uint64_t *start_length_pairs, size_t n) {
        if (n % 2)
            return VMACCEL_EINVAL;
        vmaccel_mem_range *copy = n ? (vmaccel_mem_range *)malloc(n / 2 * sizeof *copy) : NULL;
        if (n && !copy)
            return VMACCEL_ENOMEM;
        for (size_t i = 0; i < n / 2; i++) {
            copy[i].start = start_length_pairs[2 * i];
            copy[i].length = start_length_pairs[2 * i + 1];
        }
        free((void *)$self->memory);
        $self->memory = copy;
        $self->nmemory = n / 2;
        return 0;
    }
    ~vmaccel_vm_options() {
        free((char *)$self->name);
        free((char *)$self->qmp_socket);
        free((char *)$self->libvirt_uri);
        free((void *)$self->vcpu_tids);
        free((void *)$self->memory);
        free($self);
    }
}
/* Guest NUMA nodes from flat arrays (an array of structs holding
 * pointers does not cross into Python or Go): cell_of_vcpu[i] is vCPU i's
 * guest node; memory comes as (node, start, length) triples. */
%apply (const unsigned *ARRAY_IN, size_t ARRAY_LEN) { (const unsigned *cell_of_vcpu, size_t nvcpus) };
%apply (const uint64_t *ARRAY_IN, size_t ARRAY_LEN) { (const uint64_t *node_start_length, size_t n) };
%inline %{
int va_swig_vm_set_numa_cells(vmaccel_vm *vm, const unsigned *cell_of_vcpu, size_t nvcpus,
                              const uint64_t *node_start_length, size_t n)
{
    size_t ncells = 0;
    for (size_t i = 0; i < nvcpus; i++)
        ncells = cell_of_vcpu[i] + 1 > ncells ? cell_of_vcpu[i] + 1 : ncells;
    if (n % 3)
        return VMACCEL_EINVAL; /* the layers always pass whole triples */
    if (ncells > 64)
        return vmaccel_vm_set_numa_cells(vm, NULL, ncells); /* says why */
    vmaccel_numa_cell cells[64];
    unsigned *vcpus = (unsigned *)calloc(nvcpus + 1, sizeof *vcpus);
    vmaccel_mem_range *mem = (vmaccel_mem_range *)calloc(n / 3 + 1, sizeof *mem);
    size_t used_v = 0, used_m = 0;
    for (size_t c = 0; vcpus && mem && c < ncells; c++) {
        vmaccel_numa_cell init = VMACCEL_NUMA_CELL_INIT;
        cells[c] = init;
        cells[c].vcpus = vcpus + used_v;
        for (size_t i = 0; i < nvcpus; i++)
            if (cell_of_vcpu[i] == c)
                vcpus[used_v++] = (unsigned)i, cells[c].nvcpus++;
        cells[c].memory = mem + used_m;
        for (size_t k = 0; k + 2 < n; k += 3)
            if (node_start_length[k] == c) {
                mem[used_m].start = node_start_length[k + 1];
                mem[used_m++].length = node_start_length[k + 2];
                cells[c].nmemory++;
            }
    }
    int rc = vcpus && mem ? vmaccel_vm_set_numa_cells(vm, cells, ncells) : VMACCEL_ENOMEM;
    free(vcpus);
    free(mem);
    return rc;
}
%}
%immutable vmaccel_vm_options::vcpu_tids;
%immutable vmaccel_vm_options::nvcpu_tids;
%immutable vmaccel_vm_options::memory;
%immutable vmaccel_vm_options::nmemory;
%extend vmaccel_manager_options {
    ~vmaccel_manager_options() {
        free((char *)$self->sysfs_root);
        free((char *)$self->devfs_root);
        free((char *)$self->devicetree_root);
        free($self);
    }
}

/* ------------------------------------------------------------------ */
/* Guest memory for the SMMU model, owned by the binding.              */
/* ------------------------------------------------------------------ */
/* vmaccel_smmu_set_memory takes C callbacks that run under the model's
 * lock on the translating thread. A Python or Go function there would
 * enter the foreign runtime from inside the library; instead the binding
 * offers a flat, C-owned guest memory the callbacks copy from and to, and
 * the languages fill it with page tables through va_swig_guest_memory_*.
 * (Not part of libvmaccel's ABI: these live in the extension only.) */
%ignore va_swig_guest_span;
%inline %{
typedef struct va_swig_guest_memory {
    uint64_t base;   /* guest physical address of bytes[0] */
    size_t size;
    uint8_t *bytes;
} va_swig_guest_memory;

/* A zeroed memory of `size` bytes at guest address `base`, or NULL. */
va_swig_guest_memory *va_swig_guest_memory_new(uint64_t base, size_t size)
{
    va_swig_guest_memory *g = (va_swig_guest_memory *)calloc(1, sizeof *g);
    if (!g || !size || base + size < base || !(g->bytes = (uint8_t *)calloc(1, size))) {
        free(g);
        return NULL;
    }
    g->base = base;
    g->size = size;
    return g;
}

void va_swig_guest_memory_free(va_swig_guest_memory *g)
{
    if (g)
        free(g->bytes);
    free(g);
}

/* Pointer to [addr, addr+len) inside g, or NULL when any byte is outside. */
static uint8_t *va_swig_guest_span(const va_swig_guest_memory *g, uint64_t addr, size_t len)
{
    if (!g || addr < g->base || addr - g->base > g->size || len > g->size - (addr - g->base))
        return NULL;
    return g->bytes + (addr - g->base);
}

/* Copies data into guest memory: 0, or VMACCEL_ERANGE outside it. */
int va_swig_guest_memory_write(va_swig_guest_memory *g, uint64_t addr,
                               const char *data, size_t len)
{
    uint8_t *p = va_swig_guest_span(g, addr, len);
    if (!p)
        return VMACCEL_ERANGE;
    memcpy(p, data, len);
    return 0;
}

/* Copies `len` bytes out of guest memory into a buffer. */
int va_swig_guest_memory_read(va_swig_guest_memory *g, uint64_t addr, size_t len,
                              vmaccel_buf *out)
{
    uint8_t *p = va_swig_guest_span(g, addr, len);
    if (!p)
        return VMACCEL_ERANGE;
    out->data = (uint8_t *)malloc(len ? len : 1);
    if (!out->data)
        return VMACCEL_ENOMEM;
    memcpy(out->data, p, len);
    out->len = len;
    return 0;
}
%}

%{
/* The callbacks: any access outside the memory is an external abort. */
static int va_swig_guest_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    uint8_t *p = va_swig_guest_span((va_swig_guest_memory *)ctx, addr, len);
    if (!p)
        return -1;
    memcpy(buf, p, len);
    return 0;
}

static int va_swig_guest_write(void *ctx, uint64_t addr, const void *buf, size_t len)
{
    uint8_t *p = va_swig_guest_span((va_swig_guest_memory *)ctx, addr, len);
    if (!p)
        return -1;
    memcpy(p, buf, len);
    return 0;
}

/* Hardware table updates: an atomic compare-and-swap on the 8-byte word
 * (the buffer is calloc'ed, and the model asks only aligned addresses). */
static int va_swig_guest_cas(void *ctx, uint64_t addr, uint64_t *expected, uint64_t desired)
{
    uint8_t *p = va_swig_guest_span((va_swig_guest_memory *)ctx, addr, 8);
    if (!p || ((uintptr_t)p & 7))
        return -1;
    return __atomic_compare_exchange_n((uint64_t *)p, expected, desired, 0,
                                       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) ? 0 : 1;
}
%}

%inline %{
/* Points the model's page-table walks at g (NULL clears). The caller keeps
 * g alive until the model is freed or another memory is set. */
int va_swig_smmu_use_guest_memory(vmaccel_smmu *smmu, va_swig_guest_memory *g)
{
    if (!g)
        return vmaccel_smmu_set_memory(smmu, NULL);
    vmaccel_smmu_memory mem = VMACCEL_SMMU_MEMORY_INIT;
    mem.read = va_swig_guest_read;
    mem.write = va_swig_guest_write;
    mem.cas = va_swig_guest_cas;
    mem.ctx = g;
    return vmaccel_smmu_set_memory(smmu, &mem);
}

/* vmaccel_smmu_translate_many for the bindings: the translations of the
 * IOVAs that translated come back packed in `out`, 24 bytes each (pa and
 * size as little-endian u64, perm as u32, 4 bytes of padding); a fault
 * stops the list and fills *info. */
int va_swig_smmu_translate_many(vmaccel_smmu *smmu, uint32_t sid, uint32_t ssid,
                                const uint64_t *iovas, size_t n, unsigned access,
                                vmaccel_buf *out, vmaccel_smmu_result *info)
{
    vmaccel_smmu_result *r = (vmaccel_smmu_result *)calloc(n ? n : 1, sizeof *r);
    if (!r)
        return VMACCEL_ENOMEM;
    size_t done = 0;
    int rc = vmaccel_smmu_translate_many(smmu, sid, ssid, iovas, n, access, r, &done);
    if (rc && rc != VMACCEL_EFAULT) {
        free(r);
        return rc;
    }
    out->data = (uint8_t *)calloc(done ? done : 1, 24);
    if (!out->data) {
        free(r);
        return VMACCEL_ENOMEM;
    }
    out->len = done * 24;
    for (size_t i = 0; i < done; i++)
        for (int b = 0; b < 8; b++) {
            out->data[24 * i + b] = (uint8_t)(r[i].pa >> 8 * b);
            out->data[24 * i + 8 + b] = (uint8_t)(r[i].size >> 8 * b);
            if (b < 4)
                out->data[24 * i + 16 + b] = (uint8_t)(r[i].perm >> 8 * b);
        }
    if (rc)
        *info = r[done];
    free(r);
    return rc;
}
%}

/* ------------------------------------------------------------------ */
/* The SMMU's endpoint side for the bindings: a queue the C callbacks   */
/* fill and Python or Go drain (va_swig_endpoint_next).                  */
/* ------------------------------------------------------------------ */
%inline %{
enum { VA_SWIG_ATC_INV = 0, VA_SWIG_PRG_RESPONSE = 1 };
#define VA_SWIG_ENDPOINT_MAX 4096

/* One message towards an endpoint: an ATC invalidation (complete it with
 * vmaccel_smmu_atc_inv_done(id, status)) or a PRG response. */
typedef struct va_swig_endpoint_msg {
    unsigned kind;       /* VA_SWIG_ATC_INV or VA_SWIG_PRG_RESPONSE */
    uint64_t id;         /* ATC_INV */
    uint32_t sid;
    uint32_t ssid;       /* VMACCEL_SMMU_NO_SSID: none */
    bool global;         /* ATC_INV */
    uint64_t addr;       /* ATC_INV */
    unsigned log2size;   /* ATC_INV */
    unsigned prg_index;  /* PRG_RESPONSE */
    unsigned code;       /* PRG_RESPONSE: vmaccel_smmu_prg_code */
    bool automatic;      /* PRG_RESPONSE */
} va_swig_endpoint_msg;

typedef struct va_swig_endpoint {
    pthread_mutex_t mu;
    va_swig_endpoint_msg *q;
    size_t head, count;
    uint64_t dropped;    /* messages lost to a full queue */
} va_swig_endpoint;

va_swig_endpoint *va_swig_endpoint_new(void)
{
    va_swig_endpoint *e = (va_swig_endpoint *)calloc(1, sizeof *e);
    if (e && !(e->q = (va_swig_endpoint_msg *)calloc(VA_SWIG_ENDPOINT_MAX, sizeof *e->q))) {
        free(e);
        return NULL;
    }
    if (e)
        pthread_mutex_init(&e->mu, NULL);
    return e;
}

void va_swig_endpoint_free(va_swig_endpoint *e)
{
    if (!e)
        return;
    pthread_mutex_destroy(&e->mu);
    free(e->q);
    free(e);
}

/* The oldest message: 0, or VMACCEL_EAGAIN when there is none. */
int va_swig_endpoint_next(va_swig_endpoint *e, va_swig_endpoint_msg *info)
{
    if (!e)
        return VMACCEL_EINVAL;
    pthread_mutex_lock(&e->mu);
    int rc = VMACCEL_EAGAIN;
    if (e->count) {
        *info = e->q[e->head];
        e->head = (e->head + 1) % VA_SWIG_ENDPOINT_MAX;
        e->count--;
        rc = 0;
    }
    pthread_mutex_unlock(&e->mu);
    return rc;
}

uint64_t va_swig_endpoint_dropped(va_swig_endpoint *e)
{
    return e ? e->dropped : 0;
}
%}

%{
/* For the `info` out-typemap (what VMACCEL_PLAIN gives the public structs;
 * its %extend cannot follow an %inline definition). */
static va_swig_endpoint_msg *va_swig_new_va_swig_endpoint_msg(void)
{
    return (va_swig_endpoint_msg *)calloc(1, sizeof(va_swig_endpoint_msg));
}

static bool va_swig_endpoint_push(va_swig_endpoint *e, const va_swig_endpoint_msg *m)
{
    pthread_mutex_lock(&e->mu);
    bool ok = e->count < VA_SWIG_ENDPOINT_MAX;
    if (ok)
        e->q[(e->head + e->count++) % VA_SWIG_ENDPOINT_MAX] = *m;
    else
        e->dropped++;
    pthread_mutex_unlock(&e->mu);
    return ok;
}

/* Left pending for the language to complete; a message that finds the
 * queue full fails at once, so CMD_SYNC reports it (never a silent drop). */
static int va_swig_on_atc_inv(void *ctx, const vmaccel_smmu_atc_inv *inv)
{
    va_swig_endpoint_msg m = {VA_SWIG_ATC_INV, inv->id, inv->sid, inv->ssid, inv->global,
                              inv->addr, inv->log2size, 0, 0, false};
    return va_swig_endpoint_push((va_swig_endpoint *)ctx, &m) ? VMACCEL_EAGAIN : VMACCEL_ENOMEM;
}

static void va_swig_on_prg(void *ctx, const vmaccel_smmu_prg_response *r)
{
    va_swig_endpoint_msg m = {VA_SWIG_PRG_RESPONSE, 0, r->sid, r->ssid, false, 0, 0,
                              r->prg_index, (unsigned)r->code, r->automatic};
    va_swig_endpoint_push((va_swig_endpoint *)ctx, &m);
}
%}

%inline %{
/* Sends the model's endpoint messages to e (NULL: no endpoints). The
 * caller keeps e alive until the model is freed or another one is set. */
int va_swig_smmu_use_endpoint(vmaccel_smmu *smmu, va_swig_endpoint *e)
{
    if (!e)
        return vmaccel_smmu_set_endpoint_ops(smmu, NULL);
    vmaccel_smmu_endpoint_ops ops = VMACCEL_SMMU_ENDPOINT_OPS_INIT;
    ops.ctx = e;
    ops.atc_inv = va_swig_on_atc_inv;
    ops.prg_response = va_swig_on_prg;
    return vmaccel_smmu_set_endpoint_ops(smmu, &ops);
}
%}
