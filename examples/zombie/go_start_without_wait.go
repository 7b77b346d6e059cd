// cmd.Start without cmd.Wait: the child exits, and stays a zombie for as
// long as the Go program runs.
//
// What happens: the program starts `sleep 0.1` with cmd.Start and gets on
// with other work (1.5 s here; in a server, for ever).  Nothing calls
// cmd.Wait, so nothing reaps the child: from 0.1 s on it is a zombie
// ("<defunct>" in ps), and its pid and exit status stay in the process table.
// A server that does this once per request fills the table, and then every
// fork fails.  Go's runtime does not reap children behind your back.
//
// exectrace reports zombie: the child ended at 0.1 s and was never reaped
// while its parent ran.
//
// The fix (go_start_without_wait_fixed.go): every Start has its Wait, here in
// a goroutine, so the child is reaped the moment it exits.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

func main() {
	fmt.Printf("main=%d\n", os.Getpid())
	cmd := exec.Command("sleep", "0.1")
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("child=%d\n", cmd.Process.Pid)
	time.Sleep(1500 * time.Millisecond) // other work; nobody waits
	fmt.Println("done, never waited")
}
