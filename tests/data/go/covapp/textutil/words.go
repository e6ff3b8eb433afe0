// Package textutil splits and capitalises words.
package textutil

import "strings"

// Words splits every argument on spaces.
func Words(args []string) []string {
	var out []string
	for _, a := range args {
		out = append(out, strings.Fields(a)...)
	}
	return out
}

// Title upper-cases the first letter.
func Title(w string) string {
	if w == "" {
		return w
	}
	return strings.ToUpper(w[:1]) + w[1:]
}

func init() {
	_ = func() int { return 1 }()
}
