package main

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// buildInfo is what the binary knows of its own build, from
// runtime/debug.ReadBuildInfo: `pledge version` prints it, serve logs it
// at start, and /metrics exposes it as pledge_build_info.
type buildInfo struct {
	Version   string // the module version: a tag, a pseudo-version, or "(devel)"
	Revision  string // the VCS revision (commit hash), "" if not recorded
	Time      string // the revision's commit time (RFC 3339), "" if not recorded
	Dirty     bool   // the tree had uncommitted changes when built
	GoVersion string // the Go toolchain that built it
}

// readBuildInfo returns this binary's build information; what the binary
// does not record is left empty ("unknown" for the version).
func readBuildInfo() buildInfo {
	b := buildInfo{Version: "unknown", GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if info.Main.Version != "" {
		b.Version = info.Main.Version
	}
	if info.GoVersion != "" {
		b.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Dirty = s.Value == "true"
		}
	}
	return b
}

// String is the line `pledge version` prints:
//
//	pledge v1.4.0 (revision 63e1b3e1f2a4, 2026-11-28T00:01:53Z, dirty), go1.26.8
//
// with "(no revision recorded)" when the build has none.
func (b buildInfo) String() string {
	var sb strings.Builder
	sb.WriteString("pledge " + b.Version + " (")
	if b.Revision == "" {
		sb.WriteString("no revision recorded")
	} else {
		sb.WriteString("revision " + shortRevision(b.Revision))
		if b.Time != "" {
			sb.WriteString(", " + b.Time)
		}
		if b.Dirty {
			sb.WriteString(", dirty")
		}
	}
	sb.WriteString("), " + b.GoVersion)
	return sb.String()
}

// short is the module version, with the short revision when the version
// does not name it already (a pseudo-version does), and "dirty" when the
// tree had changes: the version the serving and working log lines give.
func (b buildInfo) short() string {
	v := b.Version
	if rev := shortRevision(b.Revision); rev != "" && !strings.Contains(v, rev) {
		v += " " + rev
	}
	if b.Dirty && !strings.Contains(v, "dirty") {
		v += " dirty"
	}
	return v
}

// logAttrs are the attributes of the log line serve and worker start with.
func (b buildInfo) logAttrs() []any {
	return []any{"version", b.Version, "revision", b.Revision, "vcs_time", b.Time, "dirty", b.Dirty, "go_version", b.GoVersion}
}

// shortRevision is the first 12 characters of a revision, as git shows it.
func shortRevision(rev string) string {
	return rev[:min(len(rev), 12)]
}
