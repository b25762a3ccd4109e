module github.com/vm-accel/vmaccel/examples/go

go 1.23

require (
	github.com/vm-accel/vmaccel/bindings/go v0.0.0
	google.golang.org/protobuf v1.36.12
)

replace github.com/vm-accel/vmaccel/bindings/go => ../../bindings/go
