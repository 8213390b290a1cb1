package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// hideInput turns off the echo of terminal f, so that a password typed
// there is not shown, and returns what restores it; ok is false when f is
// not a terminal.
func hideInput(f *os.File) (restore func(), ok bool) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, false
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return nil, false
	}
	return func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }, true
}
