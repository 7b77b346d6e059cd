// Go's most famous hang: exec.CommandContext with a timeout runs a shell,
// the timeout fires, and CombinedOutput still does not return.
//
// What happens: CommandContext's timeout kills only the process it started,
// `sh -c`.  The shell's child `sleep 3` was given the same stdout, the write
// end of the pipe that CombinedOutput reads until end-of-file.  The shell is
// dead, but sleep still holds that write end, so the read (and with it
// CombinedOutput, Wait and the whole program) waits until sleep exits, three
// seconds instead of half a second.  golang/go #23019 and #50436.
//
// exectrace reports held-pipe: the shell was killed at 0.5 s, the pipe's
// end-of-file came only when its last writer, sleep, exited.
//
// The fix (go_command_context_fixed.go): put the child in a process group of
// its own (SysProcAttr.Setpgid) and make the cancel kill the whole group
// (Cmd.Cancel with syscall.Kill(-pid, SIGKILL)); and bound the wait for the
// pipe with Cmd.WaitDelay (Go 1.20), in case something outside the group
// still holds it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	fmt.Printf("main=%d\n", os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, "sh", "-c", "echo start && sleep 3 && echo end").CombinedOutput()
	fmt.Printf("after %.1fs: %q, %v\n", time.Since(start).Seconds(), out, err)
	if err == nil {
		os.Exit(1)
	}
}
