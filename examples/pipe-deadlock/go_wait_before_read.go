// StdoutPipe, then Wait before reading: the child blocks writing, the parent
// blocks waiting, and neither ever moves again.
//
// What happens: cmd.StdoutPipe gives the parent the read end of a pipe;
// the shell's child, seq, writes about 140 KiB into it.  A pipe holds
// 64 KiB: seq blocks in write until someone reads.  The parent calls
// cmd.Wait first, meaning to read afterwards; Wait waits for the shell, the
// shell waits for seq, seq waits for the parent to read.  A deadlock, with a
// shell in the middle of the chain.  The os/exec documentation says it: "it
// is incorrect to call Wait before all reads from the pipe have completed".
//
// exectrace run --hang-after 1 reports pipe-deadlock from a snapshot of the
// live tree.  Started by hand, the example gives up after 30 s.
//
// The fix (go_wait_before_read_fixed.go): read everything first (io.ReadAll,
// or a bufio.Scanner loop), then Wait.
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

func main() {
	fmt.Printf("main=%d\n", os.Getpid())
	cmd := exec.Command("sh", "-c", "seq 1 30000; echo done")
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if err := cmd.Start(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Printf("shell=%d\n", cmd.Process.Pid)
	// Bounded, so that nothing runs for ever when started by hand.
	time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	err = cmd.Wait() // the mistake: nobody is reading
	data, _ := io.ReadAll(out)
	fmt.Printf("%v, %d bytes\n", err, len(data))
}
