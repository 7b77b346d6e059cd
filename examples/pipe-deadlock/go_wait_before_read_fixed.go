// The fixed twin of go_wait_before_read.go: read the child's output to its
// end, then Wait.  The child never blocks on a full pipe for long, because
// the parent keeps reading; when it exits, the read sees end-of-file and
// Wait reaps it at once.
package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
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
	data, err := io.ReadAll(out) // read first...
	if err != nil {
		fmt.Println(err)
	}
	err = cmd.Wait() // ...then wait
	fmt.Printf("%v, %d bytes\n", err, len(data))
	if err != nil {
		os.Exit(1)
	}
}
