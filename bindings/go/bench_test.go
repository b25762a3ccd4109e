package vmaccel

import "testing"

// Per-call cost of the Go binding: one trivial query (cgo call, locked OS
// thread, close guard) and a full report (cgo call, copy, protobuf decode).
// go test -run '^$' -bench . (see bench/RESULTS.md).

func BenchmarkNUMAEnabled(b *testing.B) {
	m, err := New(&Options{Synthetic: paritySynthetic})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for i := 0; i < b.N; i++ {
		if _, err := m.NUMAEnabled(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReport(b *testing.B) {
	m, err := New(&Options{Synthetic: paritySynthetic})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if err := m.SetupFull(); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if _, err := m.Report(); err != nil {
			b.Fatal(err)
		}
	}
}
