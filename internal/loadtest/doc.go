// Package loadtest drives an HTTP load test against a running pledge portal
// (one instance or several behind nginx), or against a reference
// hello-world server. vegeta paces the requests and measures their answers;
// on Linux, plain-HTTP requests are sent from one goroutine watching every
// connection through epoll(7), which leaves more of a shared machine to the
// servers measured, and https ones (or any elsewhere) by vegeta's attacker.
//
// Requests start at a fixed rate, or at a rate that ramps linearly from one
// value to another over the test. In pledge mode every request submits a
// realistic pledge: a name in Latin, Devanagari, a mix of the two or another
// script of India (Bengali, Tamil, Telugu, Gujarati, Gurmukhi, Kannada,
// Malayalam, Odia); a valid Indian mobile number from a block owned by the
// seed, written in one of the forms people type (+91, 0 or 0091 prefix,
// spaces, dashes, Devanagari digits); a leaf region of the campaign as its
// API lists them. A chosen share of requests repeats an earlier number,
// written another way, and expects 409. Everything follows from the seed.
//
// Progress lines can be written while the attack runs. The report gives
// throughput of acknowledged pledges, latency percentiles, status counts
// with 409 (duplicate) and 503 with Retry-After (shed load) told apart from
// errors, and the result of the check that the campaign's public total
// grew by exactly the number of 201 responses. In hello mode the target's
// root path is fetched and nothing is checked beyond the status code.
package loadtest
