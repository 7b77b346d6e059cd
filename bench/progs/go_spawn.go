// The Go workload of `make bench`: os/exec running /bin/true N times, one
// after the other, each with its output collected (cmd.Output), as a Go
// program that shells out does.  Every fork, exec, pipe and wait here is a
// raw system call of the Go runtime: only the ptrace recorder sees them.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
)

func main() {
	n := 300
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	for i := 0; i < n; i++ {
		if _, err := exec.Command("/bin/true").Output(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
