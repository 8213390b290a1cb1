package dbcopy_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/dbcopy"
	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
	"github.com/pledgeportal/pledge/internal/store/storetest"
)

// TestCopy copies a SQLite database the portal filled into PostgreSQL and
// reads both back through the store: the same campaigns, counts, pledges,
// invalidations, pending pledge, account and audit log; the same secret,
// so a number that pledged is still a duplicate; and numbers and IDs that
// go on from the copied ones.
func TestCopy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := fill(t)
	url := target(t)
	rep, err := copyDB(ctx, f.path, url, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Campaigns != 2 || rep.DroppedJobs != 0 {
		t.Errorf("report = %+v, want 2 campaigns verified and no jobs dropped", rep)
	}
	rows := map[string]int64{}
	for _, tr := range rep.Tables {
		rows[tr.Table] = tr.Rows
	}
	if rows["pledges"] != 13 || rows["pending_pledges"] != 2 || rows["users"] != 1 || rows["admin_actions"] != 4 || rows["campaigns"] != 2 {
		t.Errorf("rows copied = %v", rows)
	}

	src := openSQLite(t, f.path)
	defer src.Close()
	dst := openPostgres(t, url)
	same := func(what string, want, got any) {
		t.Helper()
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" { // the backends differ in nil and empty lists
			t.Errorf("%s differs (-SQLite +PostgreSQL):\n%s", what, d)
		}
	}
	read := func(s store.Store) map[string]any {
		t.Helper()
		out := map[string]any{}
		cs, err := s.Campaigns(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out["campaigns"] = cs
		for _, c := range cs {
			counts, err1 := s.Counts(ctx, c.ID)
			unc, err2 := s.Uncounted(ctx, c.ID)
			audit, err3 := s.Audit(ctx, c.ID)
			invs, err4 := s.Invalidations(ctx, c.ID)
			mins, err5 := s.MinuteCounts(ctx, c.ID, time.Time{})
			var ps []pledge.Pledge
			err6 := s.ExportPledges(ctx, c.ID, func(p pledge.Pledge) error { ps = append(ps, p); return nil })
			if err := errors.Join(err1, err2, err3, err4, err5, err6); err != nil {
				t.Fatal(err)
			}
			if !audit.Consistent() {
				t.Errorf("campaign %s: audit %+v not consistent", c.Slug, audit)
			}
			out[c.Slug+" counts"], out[c.Slug+" uncounted"], out[c.Slug+" audit"] = counts, unc, audit
			out[c.Slug+" invalidations"], out[c.Slug+" minutes"], out[c.Slug+" pledges"] = invs, mins, ps
		}
		users, err := s.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		acts, err := s.Actions(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		pend, err := s.Pending(ctx, f.optin.ID, f.pendingID)
		if err != nil {
			t.Fatal(err)
		}
		out["users"], out["actions"], out["pending"] = users, acts, pend
		return out
	}
	want, got := read(src), read(dst)
	for k := range want {
		same(k, want[k], got[k])
	}
	if c := want["alpha counts"].(pledge.Counts); c.Total != 8 || c.Regions["N1"] == 0 {
		t.Errorf("alpha counts = %+v, want 8 (12 less 3 invalidated and 1 withdrawn), N1 among them", c)
	}
	if len(want["actions"].([]pledge.Action)) != 4 || len(want["users"].([]pledge.User)) != 1 {
		t.Errorf("fixture: actions %v, users %v", want["actions"], want["users"])
	}

	// A certificate's verification by number reads the same pledge.
	for _, n := range []int64{1, 2, 7} {
		a, err1 := src.Pledge(ctx, f.alpha.ID, n)
		b, err2 := dst.Pledge(ctx, f.alpha.ID, n)
		if err := errors.Join(err1, err2); err != nil {
			t.Fatal(err)
		}
		same("pledge", a, b)
	}

	// The secret came over: the same hashes, the same fingerprint.
	secret, err := dst.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	same("secret", f.secret, secret)
	if err := dst.CheckSecret(ctx, store.SecretFingerprint(f.secret)); err != nil {
		t.Errorf("CheckSecret with the SQLite secret: %v", err)
	}
	if n, err := dst.NumberByPhone(ctx, f.alpha.ID, pledge.NewHasher(secret).Sum("+919000000006")); err != nil || n != 7 {
		t.Errorf("NumberByPhone = %d, %v; want 7", n, err)
	}

	// A number that pledged is refused, hashed as an instance on
	// PostgreSQL hashes it; a new one gets the next number.
	h := pledge.NewHasher(secret)
	res, err := dst.CommitBatch(ctx, []pledge.Submission{
		storetest.Submission(h, f.alpha.ID, 3, "N1"),
		storetest.Submission(h, f.alpha.ID, 50, "N1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(res[0].Err, pledge.ErrDuplicate) {
		t.Errorf("a phone that pledged in SQLite pledged again in PostgreSQL: %+v", res[0])
	}
	if res[1].Err != nil || res[1].Receipt.Number != 13 {
		t.Errorf("next pledge = %+v, want number 13", res[1])
	}

	// Confirming the copied pending pledge gives the campaign's next number.
	if r, err := dst.Confirm(ctx, f.optin.ID, f.pendingID, time.Now()); err != nil || r.Number != 2 {
		t.Errorf("Confirm = %+v, %v; want number 2", r, err)
	}
	// New rows take IDs after the copied ones, the expired pending ID too.
	res, err = dst.CommitBatch(ctx, []pledge.Submission{storetest.PendingSubmission(f.h, f.optin.ID, 200, "S1")})
	if err != nil || res[0].Err != nil || res[0].Receipt.Pending <= f.expiredID {
		t.Errorf("new pending pledge = %+v, %v; want an ID above %d", res, err, f.expiredID)
	}
	act := &pledge.Action{Actor: "officer", Remote: "192.0.2.1", Kind: "login"}
	if err := dst.LogAction(ctx, act); err != nil || act.ID != 5 {
		t.Errorf("LogAction: ID %d, %v; want 5", act.ID, err)
	}
	u := &pledge.User{Username: "second", PasswordHash: "x", Role: pledge.RoleViewer, CreatedAt: time.Now()}
	if err := dst.CreateUser(ctx, u, nil); err != nil || u.ID != 2 {
		t.Errorf("CreateUser: ID %d, %v; want 2", u.ID, err)
	}
	c := storetest.Campaign("third")
	if err := dst.CreateCampaign(ctx, c, nil); err != nil || c.ID != 3 {
		t.Errorf("CreateCampaign: ID %d, %v; want 3", c.ID, err)
	}
	if inv, err := dst.Invalidate(ctx, f.alpha.ID, pledge.InvalidationFilter{Region: "S1"}, "test", "officer", nil); err != nil || inv.ID != 2 {
		t.Errorf("Invalidate: ID %d, %v; want 2", inv.ID, err)
	}
	// Sessions stay behind: officers log in again.
	if _, found, err := dst.SessionFind(ctx, "tok"); err != nil || found {
		t.Errorf("SessionFind = %v, %v; want not found", found, err)
	}
	if u, err := dst.User(ctx, "officer"); err != nil || u.Role != pledge.RoleAdmin || u.Disabled {
		t.Errorf("User(officer) = %+v, %v", u, err)
	}
}

// TestCopyRefusesNonEmptyTarget: a second copy, into the database the
// first filled, is refused and changes nothing, its secret included.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := target(t)
	if _, err := copyDB(ctx, fill(t).path, url, false); err != nil {
		t.Fatal(err)
	}
	dst := openPostgres(t, url)
	secret, err := dst.Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := tableRows(t, url)
	other := fill(t) // another database, with another secret
	_, err = copyDB(ctx, other.path, url, false)
	if !errors.Is(err, dbcopy.ErrTargetNotEmpty) {
		t.Fatalf("second copy: %v, want refused as not empty", err)
	}
	if after := tableRows(t, url); !cmp.Equal(before, after) {
		t.Errorf("a refused copy changed rows: %v, then %v", before, after)
	}
	if again, err := dst.Secret(ctx); err != nil || !slices.Equal(again, secret) {
		t.Errorf("a refused copy changed the secret (%v)", err)
	}
}

// TestCopyAnalyses: the copy leaves the tables analysed, so that the
// first instances plan with their statistics (pg_class.reltuples is -1
// for a table never analysed).
func TestCopyAnalyses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := target(t)
	if _, err := copyDB(ctx, fill(t).path, url, false); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var partitions int
	var tuples float64
	if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(sum(c.reltuples), 0) FROM pg_class c
		JOIN pg_inherits i ON i.inhrelid = c.oid WHERE i.inhparent = 'pledges'::regclass`).Scan(&partitions, &tuples); err != nil {
		t.Fatal(err)
	}
	if partitions == 0 || tuples != 13 {
		t.Errorf("the %d partitions of pledges estimate %v rows, want 13 (analysed)", partitions, tuples)
	}
	rows, err := conn.Query(ctx, `SELECT relname::text FROM pg_class
		WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND reltuples < 0
		  AND relname::text = ANY ($1)`, []string{"settings", "campaigns", "regions", "users", "admin_actions"})
	if err != nil {
		t.Fatal(err)
	}
	unanalysed, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(unanalysed) > 0 {
		t.Errorf("not analysed: %v", unanalysed)
	}
}
