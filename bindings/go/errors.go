package vmaccel

import (
	"fmt"
	"io/fs"

	"github.com/vm-accel/vmaccel/bindings/go/internal/capi"
)

// Error is a failed libvmaccel call: the negative VMACCEL_E* code, the
// operation and the library's detailed message. Compare it with the
// sentinel errors through errors.Is:
//
//	if errors.Is(err, vmaccel.ErrNotFound) { ... }
type Error struct {
	Code    int    // negative VMACCEL_E* value
	Op      string // the Go method that failed, e.g. "EnableNUMA"
	Message string // vmaccel_error_last() of the failing call
}

func (e *Error) Error() string {
	name := capi.Vmaccel_strerror(e.Code)
	if e.Message == "" {
		return fmt.Sprintf("vmaccel: %s: %s", e.Op, name)
	}
	return fmt.Sprintf("vmaccel: %s: %s (%s)", e.Op, e.Message, name)
}

// Is matches the sentinel for e's code, and fs.ErrPermission /
// fs.ErrNotExist for the two codes that mean the same.
func (e *Error) Is(target error) bool {
	if s, ok := target.(*sentinel); ok {
		return s.code == e.Code
	}
	switch target {
	case fs.ErrPermission:
		return e.Code == codePerm
	case fs.ErrNotExist:
		return e.Code == codeNotFound
	}
	return false
}

type sentinel struct {
	code int
	name string
}

func (s *sentinel) Error() string { return "vmaccel: " + s.name }

// The C error codes (capi/include/vmaccel/common.h); stable by contract.
// TestSentinelCodesMatchLibrary checks them against the library.
const (
	codeInvalid  = -1
	codeNoMem    = -2
	codeNotSup   = -3
	codeNotFound = -4
	codePerm     = -5
	codeState    = -6
	codeIO       = -7
	codeParse    = -8
	codeTimedOut = -9
	codeGone     = -10
	codeBusy     = -11
	codeRange    = -12
	codeAgain    = -13
	codeFault    = -14
)

// Sentinel errors, one per VMACCEL_E* code.
var (
	ErrInvalid      error = &sentinel{codeInvalid, "invalid argument"}
	ErrNoMemory     error = &sentinel{codeNoMem, "out of memory"}
	ErrNotSupported error = &sentinel{codeNotSup, "not supported"}
	ErrNotFound     error = &sentinel{codeNotFound, "not found"}
	ErrPermission   error = &sentinel{codePerm, "permission denied"}
	ErrState        error = &sentinel{codeState, "wrong state"}
	ErrIO           error = &sentinel{codeIO, "I/O error"}
	ErrParse        error = &sentinel{codeParse, "parse error"}
	ErrTimeout      error = &sentinel{codeTimedOut, "timed out"}
	ErrGone         error = &sentinel{codeGone, "gone"}
	ErrBusy         error = &sentinel{codeBusy, "busy"}
	ErrRange        error = &sentinel{codeRange, "out of range"}
	ErrAgain        error = &sentinel{codeAgain, "try again"}
	ErrFault        error = &sentinel{codeFault, "fault"}
)

// ErrClosed is returned by methods of a closed Manager or Topology; it
// matches ErrState.
var ErrClosed = &Error{Code: codeState, Op: "use", Message: "the object is closed"}
