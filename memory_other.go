//go:build !linux || !cgo

package main

// trimCHeap does nothing where glibc's malloc_trim is not available.
func trimCHeap() {}
