// The fixed twin of go_timeout_kills_leader.go: the shell leads a process
// group of its own, sleep inherits the group, and the timeout kills the
// group.  Both end at 0.3 s.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	fmt.Printf("main=%d\n", os.Getpid())
	cmd := exec.Command("sh", "-c", "sleep 1; echo finished")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("shell=%d\n", cmd.Process.Pid)
	time.Sleep(300 * time.Millisecond)
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the whole group
	fmt.Println("killed:", cmd.Wait())
}
