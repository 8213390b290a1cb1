package main

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pledgeportal/pledge/internal/syncbuf"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the controller end (what a terminal
// emulator holds) and the terminal a program reads from.
func openPTY(t *testing.T) (controller, tty *os.File) {
	t.Helper()
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil { // so reads can time out
		t.Fatal(err)
	}
	controller = os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { controller.Close() })
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return controller, tty
}

// typePassword types input at a terminal that readPassword reads from, once
// it has asked, and returns what readPassword returned (or its error), its
// prompt, and the terminal.
func typePassword(t *testing.T, input string) (got, prompt string, controller, tty *os.File) {
	t.Helper()
	controller, tty = openPTY(t)
	var out syncbuf.Buffer
	done := make(chan string, 1)
	go func() {
		pw, err := readPassword(tty, &out, "deo")
		if err != nil {
			pw = "error: " + err.Error()
		}
		done <- pw
	}()
	// Type only once the echo is off (the prompt is written after).
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), "Password for deo"); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no prompt")
		}
	}
	if _, err := controller.WriteString(input); err != nil {
		t.Fatal(err)
	}
	return <-done, out.String(), controller, tty
}

// TestPasswordNotEchoed: a password typed at a terminal, twice, is read,
// and the terminal shows none of it; its echo is back on afterwards.
func TestPasswordNotEchoed(t *testing.T) {
	pw, prompt, controller, tty := typePassword(t, "Secret-Typed-123\nSecret-Typed-123\n")
	if pw != "Secret-Typed-123" {
		t.Fatalf("password read = %q", pw)
	}
	if !strings.Contains(prompt, "not shown") || !strings.Contains(prompt, "The same again") {
		t.Errorf("prompt %q does not say the password is hidden, or ask for it again", prompt)
	}
	// What the terminal would show: nothing of the password.
	if err := controller.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	shown := make([]byte, 256)
	n, _ := controller.Read(shown)
	if strings.Contains(string(shown[:n]), "Secret") {
		t.Errorf("the terminal echoed the password: %q", shown[:n])
	}
	termios, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if termios.Lflag&unix.ECHO == 0 {
		t.Error("echo left off after the password was read")
	}
}

// TestPasswordTypedTwiceMustMatch: a slip in one of the two hidden typings
// sets nothing.
func TestPasswordTypedTwiceMustMatch(t *testing.T) {
	if pw, _, _, _ := typePassword(t, "Secret-Typed-123\nSecret-Typed-124\n"); !strings.Contains(pw, "differ") {
		t.Errorf("two different typings gave %q, want an error saying they differ", pw)
	}
}
