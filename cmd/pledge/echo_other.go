//go:build !linux

package main

import "os"

// hideInput cannot turn off a terminal's echo here: a password typed at the
// prompt is shown (give it on standard input instead).
func hideInput(*os.File) (restore func(), ok bool) { return nil, false }
