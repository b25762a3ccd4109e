package vmaccel

import (
	"runtime"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
)

// call runs one C API call and turns a negative VMACCEL_E* code into an
// *Error. vmaccel_error_last() is thread-local and a goroutine may move to
// another OS thread between two cgo calls, so the thread is locked from the
// call until its message has been read.
func call(op string, f func() int) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	rc := f()
	if rc >= 0 {
		return nil
	}
	return &Error{Code: rc, Op: op, Message: capi.Vmaccel_error_last()}
}
