// The fixed twin of go_command_context.go: the same shell, the same 0.5 s
// timeout, and CombinedOutput returns at 0.5 s.
//
// The fix: the shell starts in a process group of its own
// (SysProcAttr.Setpgid), so that sleep, which it starts, is in that group
// too; the timeout kills the whole group, syscall.Kill(-pid, SIGKILL).  Every
// holder of the pipe's write end dies at once, and the reader sees
// end-of-file at once.
//
// With Go 1.20 or later, say the same with CommandContext: set
// cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true},
// cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) },
// and cmd.WaitDelay = time.Second, which bounds the wait for the pipe should
// anything outside the group still hold it.  This file keeps to Go 1.19,
// where neither field exists, with a timer of its own.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	fmt.Printf("main=%d\n", os.Getpid())
	start := time.Now()
	cmd := exec.Command("sh", "-c", "echo start && sleep 3 && echo end")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// As CombinedOutput does: one pipe for both, read until end-of-file.
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("shell=%d\n", cmd.Process.Pid)
	timer := time.AfterFunc(500*time.Millisecond, func() {
		// The group's id is the shell's pid: it leads the group.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	err := cmd.Wait()
	timer.Stop()
	fmt.Printf("after %.1fs: %q, %v\n", time.Since(start).Seconds(), out.String(), err)
	if err == nil {
		os.Exit(1)
	}
}
