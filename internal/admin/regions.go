package admin

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// regionRow is one line of a campaign's region table.
type regionRow struct {
	Code   string
	Name   string
	N      int64
	Share  string // of the campaign's total, "12.5%"
	Child  bool   // listed under its parent
	Parent bool   // its count is the sum of its children
}

// regionTable lists a campaign's regions with their counts: each top-level
// region, a parent showing the sum of its children with the children under
// it, sorted by count, highest first, within each level (ties keep the
// campaign's order). Pledges counted under a code the campaign no longer
// has are listed too, so the table always sums to the total.
func regionTable(c *pledge.Campaign, counts pledge.Counts) []regionRow {
	children := make(map[string][]regionRow)
	known := make(map[string]bool, len(c.Regions))
	for _, r := range c.Regions {
		known[r.Code] = true
		if r.Parent != "" {
			children[r.Parent] = append(children[r.Parent], regionRow{
				Code: r.Code, Name: r.Name.In("en", c.DefaultLang()), N: counts.Regions[r.Code], Child: true,
			})
		}
	}
	type group struct {
		head regionRow
		kids []regionRow
	}
	var groups []group
	for _, r := range c.Regions {
		if r.Parent != "" {
			continue
		}
		g := group{head: regionRow{Code: r.Code, Name: r.Name.In("en", c.DefaultLang()), N: counts.Regions[r.Code]}}
		if kids := children[r.Code]; len(kids) > 0 {
			g.head.Parent, g.head.N, g.kids = true, 0, kids
			for _, k := range kids {
				g.head.N += k.N
			}
			slices.SortStableFunc(g.kids, byCount)
		}
		groups = append(groups, g)
	}
	var gone []string
	for code := range counts.Regions {
		if !known[code] {
			gone = append(gone, code)
		}
	}
	slices.Sort(gone)
	for _, code := range gone {
		groups = append(groups, group{head: regionRow{Code: code, Name: "(no longer a region of this campaign)", N: counts.Regions[code]}})
	}
	slices.SortStableFunc(groups, func(a, b group) int { return byCount(a.head, b.head) })

	out := make([]regionRow, 0, len(c.Regions)+len(gone))
	for _, g := range groups {
		out = append(out, g.head)
		out = append(out, g.kids...)
	}
	for i := range out {
		out[i].Share = share(out[i].N, counts.Total)
	}
	return out
}

// byCount orders rows by count, highest first.
func byCount(a, b regionRow) int { return cmp.Compare(b.N, a.N) }

// share is n as a percentage of total, to one decimal.
func share(n, total int64) string {
	if total == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", float64(n)*100/float64(total))
}
