package pledge

// lineRegion is a region read from a regions CSV file, and its line.
type lineRegion struct {
	line int
	r    Region
}

// checkParents reports, through bad, each region of rows whose parent is
// itself, is not among rows, or has a parent itself: regions have at most
// two levels.
func checkParents(rows []lineRegion, bad func(line int, format string, args ...any)) {
	byCode := make(map[string]Region, len(rows))
	for _, rw := range rows {
		byCode[rw.r.Code] = rw.r
	}
	for _, rw := range rows {
		if rw.r.Parent == "" {
			continue
		}
		p, ok := byCode[rw.r.Parent]
		switch {
		case rw.r.Parent == rw.r.Code:
			bad(rw.line, "region %s cannot be its own parent: leave the parent empty for a top-level region", rw.r.Code)
		case !ok:
			bad(rw.line, "region %s has unknown parent %s", rw.r.Code, clipField(rw.r.Parent))
		case p.Parent != "":
			bad(rw.line, "region %s: its parent %s has a parent itself; regions have at most two levels", rw.r.Code, p.Code)
		}
	}
}
