// The fixed twin of go_start_without_wait.go: the same child and the same
// work, and a goroutine that waits for the child, so it is reaped when it
// exits.
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
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }() // every Start has its Wait
	fmt.Printf("child=%d\n", cmd.Process.Pid)
	time.Sleep(1500 * time.Millisecond)
	fmt.Println("done:", <-done)
}
