// Package calc adds numbers given as strings.
package calc

import (
	"fmt"
	"strconv"
)

// SumStrings parses and adds its arguments.
func SumStrings(args []string) (int, error) {
	total := 0
	for _, a := range args {
		n, err := strconv.Atoi(a)
		if err != nil {
			return 0, fmt.Errorf("not a number: %q", a)
		}
		total = Add(total, n)
	}
	return total, nil
}

// Add adds two numbers.
func Add(a, b int) int {
	return a + b
}

// Abs is never called by the program.
func Abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}
