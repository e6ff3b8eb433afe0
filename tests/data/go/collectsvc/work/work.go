// Package work is the code the collect tests exercise, one branch per operation.
package work

import "strings"

// Do runs one operation and returns a number that depends on it.
func Do(op string, i int) int {
	switch op {
	case "square":
		return i * i
	case "upper":
		return len(strings.ToUpper(op))
	case "fizz":
		return fizz(i)
	default:
		return -1
	}
}

func fizz(i int) int {
	if i%3 == 0 {
		return 3
	}
	if i%5 == 0 {
		return 5
	}
	return i
}

// Never is not called by any test.
func Never() int {
	x := 0
	for i := 0; i < 10; i++ {
		x += i
	}
	return x
}
