package pledge

// NameCorrection is what correcting the name of a pledge did: the name it
// had and the name it has now, as NormaliseName made the one typed.
type NameCorrection struct {
	Old, New string
	// Counted is how many corrections the pledge has had that count
	// against a limit (the citizen's own), this one included.
	Counted int
}

// Changed reports whether the name changed: the same name again changes
// nothing.
func (c NameCorrection) Changed() bool { return c.Old != c.New }
