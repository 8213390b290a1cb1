// Package loadtest drives a fixed-rate HTTP load test against a running
// pledge portal, or against a reference hello-world server, using vegeta's
// attack library.
//
// In pledge mode every request submits a new pledge with a unique, valid
// Indian mobile number, and the portal's public stats are read before and
// after the attack to check that every accepted pledge (HTTP 201) was
// counted exactly once. In hello mode the target's root path is fetched and
// nothing is checked beyond the status code.
package loadtest
