// A timeout that kills only the process it started: cmd.Process.Kill on a
// shell leaves the shell's children running.
//
// What happens: the program runs a shell script that starts a helper,
// `sleep 1`, and waits for it.  After 0.3 s it gives up and calls
// cmd.Process.Kill(): SIGKILL to the shell's pid, and to nothing else.  The
// shell dies; sleep goes on, reparented to init (under exectrace, to
// exectrace), and nobody waits for it any more.  In real programs that
// helper is a build, a server or a browser, holding ports, files and locks.
//
// exectrace reports orphaned-descendants: the shell was killed while sleep
// lived on.
//
// The fix (go_timeout_kills_leader_fixed.go): start the shell in a process
// group of its own (SysProcAttr.Setpgid) and kill the group,
// syscall.Kill(-pid, SIGKILL).  With Go 1.20 or later, CommandContext's
// Cmd.Cancel can do that kill when the context ends.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	fmt.Printf("main=%d\n", os.Getpid())
	cmd := exec.Command("sh", "-c", "sleep 1; echo finished")
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("shell=%d\n", cmd.Process.Pid)
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Kill() // only the shell
	fmt.Println("killed:", cmd.Wait())
}
