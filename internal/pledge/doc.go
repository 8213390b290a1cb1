// Package pledge is the domain of the portal: campaigns, regions, pledges and
// receipts, the validation and normalisation of what citizens type, and the
// sentinel errors the rest of the code maps to answers. It imports nothing
// else of the project.
package pledge
