package main

// The handler of Trendyol/goverage (goverage.go), reproduced: every POST writes the meta file and
// a new cumulative counters file into $GOCOVERDIR, runs `covdata textfmt` over the whole
// directory, filters the lines and answers them joined by "\n" without a trailing newline.
// Like goverage, it needs GOCOVERDIR; the covdata command is `$COLLECTSVC_GO tool covdata`.

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/coverage"
	"strings"
)

type profileRequest struct {
	SkipFile []string `json:"skipFile"`
}

func handleProfile(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	var req profileRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	var skips []*regexp.Regexp
	for _, s := range req.SkipFile {
		re, err := regexp.Compile(s)
		if err != nil {
			log.Printf("invalid skipFile regexp %q: %v", s, err)
			continue
		}
		skips = append(skips, re)
	}
	dir := os.Getenv("GOCOVERDIR")
	if err := coverage.WriteMetaDir(dir); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := coverage.WriteCountersDir(dir); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out := filepath.Join(os.Getenv("COLLECTSVC_TMP"), "coverage.out")
	cmd := exec.Command(os.Getenv("COLLECTSVC_GO"), "tool", "covdata", "textfmt", "-i="+dir, "-o="+out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		http.Error(w, string(msg), http.StatusInternalServerError)
		return
	}
	data, err := os.ReadFile(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var kept []string
	for i, line := range strings.Split(string(data), "\n") {
		if i == 0 && strings.HasPrefix(line, "mode:") {
			kept = append(kept, line)
			continue
		}
		if line == "" || strings.Contains(line, "goverage.go") {
			continue
		}
		name := strings.SplitN(line, ":", 2)[0]
		skip := false
		for _, re := range skips {
			if re.MatchString(name) {
				skip = true
				break
			}
		}
		if !skip {
			kept = append(kept, line)
		}
	}
	body := strings.Join(kept, "\n")
	if os.Getenv("COLLECTSVC_JSON") == "1" { // goc v2's shape: {"profile": "..."}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"profile": body})
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(body))
}
