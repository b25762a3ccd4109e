// Package capi is the SWIG-generated view of the libvmaccel C API
// (bindings/vmaccel.i). Use the idiomatic package vmaccel instead.
package capi

// #cgo pkg-config: vmaccel
import "C"
