// Command covapp is a tiny program used to produce real GOCOVERDIR data in tests.
package main

import (
	"fmt"
	"os"

	"example.com/covapp/calc"
	"example.com/covapp/textutil"
)

// Hook is a package-level function literal (counted by covdata, not by cover -func).
var Hook = func(x int) int { return x * 2 }

func init() {
	_ = Hook(1)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: covapp sum|words|fail ARGS...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "sum":
		total, err := calc.SumStrings(os.Args[2:])
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		fmt.Println(total)
	case "words":
		for _, w := range textutil.Words(os.Args[2:]) {
			fmt.Println(textutil.Title(w))
		}
	case "fail":
		fmt.Fprintln(os.Stderr, "failing on purpose")
		os.Exit(3)
	default:
		fmt.Fprintln(os.Stderr, "unknown command", os.Args[1])
		os.Exit(2)
	}
}
