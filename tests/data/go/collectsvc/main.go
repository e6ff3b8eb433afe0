// collectsvc: a small HTTP service built with `go build -cover` for coverhub's collect tests.
//
// It listens on 127.0.0.1:$PORT and serves:
//
//	GET  /work?op=NAME&n=K   runs work.Do(NAME) K times (exercises the work package)
//	POST /v1/cover/profile   the goverage handler (goverage.go)
//
// `collectsvc once OP N` runs work.Do(OP) N times and exits, writing its coverage at exit (for a
// set-mode build: runtime/coverage only writes counters of a running program in atomic mode).
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"

	"example.com/collectsvc/work"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "once" {
		n, _ := strconv.Atoi(os.Args[3])
		for i := 0; i < n; i++ {
			work.Do(os.Args[2], i)
		}
		return
	}
	port := os.Getenv("PORT")
	if port == "" {
		log.Fatal("PORT is required")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/work", handleWork)
	mux.HandleFunc("/v1/cover/profile", handleProfile)
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, mux))
}

func handleWork(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 1 {
		n = 1
	}
	total := 0
	for i := 0; i < n; i++ {
		total += work.Do(r.URL.Query().Get("op"), i)
	}
	fmt.Fprintf(w, "%d\n", total)
}
