//go:build unix && !linux

package conn

import "errors"

// lowatWorks is false outside Linux: the receive low-water mark stays at
// its default (see lowat_linux.go).
const lowatWorks = false

func setRcvLowat(uintptr, int) error { return errors.ErrUnsupported }
