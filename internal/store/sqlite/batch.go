package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// chunk is the most rows looked up and inserted at a time.
const chunk = 1024

type regionKey struct {
	campaign int64
	region   string
}

type minuteKey struct {
	campaign int64
	minute   int64 // Unix seconds of the minute's start
}

// CommitBatch stores subs in one IMMEDIATE transaction. See store.Store.
//
// The writer connection holds SQLite's write lock for the whole transaction,
// so "which of these numbers exist?" followed by a plain multi-row INSERT
// cannot race; the unique index stays as the backstop and would fail the
// batch loudly rather than leave a gap in the numbers.
func (s *Store) CommitBatch(ctx context.Context, subs []pledge.Submission) ([]store.Result, error) {
	results := make([]store.Result, len(subs))
	fresh, repeats := store.DedupeBatch(subs, results)

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback()

	last := make(map[int64]int64)
	counts := make(map[regionKey]int64)
	minutes := make(map[minuteKey]int64)
	for _, group := range store.ByCampaign(subs, fresh) {
		id := subs[group[0]].CampaignID
		n, rev, err := s.sequence(ctx, tx, id)
		if err != nil {
			return nil, err
		}
		group = store.KeepRegionsRev(subs, group, rev, results)
		group, err = s.insertPending(ctx, tx, subs, group, results)
		if err != nil {
			return nil, err
		}
		for start := 0; start < len(group); start += chunk {
			part := group[start:min(start+chunk, len(group))]
			existing, err := s.existing(ctx, tx, stmtExisting, id, subs, part, phoneHash)
			if err != nil {
				return nil, err
			}
			existingEmails, err := s.existing(ctx, tx, stmtExistingEmail, id, subs, part, emailHash)
			if err != nil {
				return nil, err
			}
			rows := make([]int, 0, len(part))
			for _, i := range part {
				if existing[string(subs[i].PhoneHash)] || existingEmails[string(subs[i].EmailHash)] {
					results[i].Err = pledge.ErrDuplicate
					continue
				}
				n++
				results[i].Receipt = pledge.Receipt{CampaignID: id, Number: n}
				counts[regionKey{id, subs[i].Region}]++
				minutes[minuteKey{id, subs[i].CreatedAt.Unix() / 60 * 60}]++
				rows = append(rows, i)
			}
			if err := s.insertRows(ctx, tx, subs, rows, results); err != nil {
				return nil, err
			}
		}
		last[id] = n
	}
	for id, n := range last {
		if _, err := s.stmts.get(ctx, tx, stmtAdvance, 1).ExecContext(ctx, n, id); err != nil {
			return nil, fmt.Errorf("advance sequence: %w", err)
		}
	}
	for k, n := range counts {
		if _, err := s.stmts.get(ctx, tx, stmtCount, 1).ExecContext(ctx, k.campaign, k.region, n); err != nil {
			return nil, fmt.Errorf("update count row: %w", err)
		}
	}
	for k, n := range minutes {
		if _, err := s.stmts.get(ctx, tx, stmtMinute, 1).ExecContext(ctx, k.campaign, k.minute, n); err != nil {
			return nil, fmt.Errorf("update minute count: %w", err)
		}
	}
	if err := store.Enqueue(ctx, s.jobs, tx, store.BatchJobs(subs, results)); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit batch: %w", err)
	}
	repeats.Follow(results)
	return results, nil
}

func (s *Store) lastNumber(ctx context.Context, tx *sql.Tx, campaignID int64) (int64, error) {
	n, _, err := s.sequence(ctx, tx, campaignID)
	return n, err
}

// sequence returns the campaign's last certificate number and its regions
// revision (pledge.Campaign.RegionsRev).
func (s *Store) sequence(ctx context.Context, tx *sql.Tx, campaignID int64) (last, regionsRev int64, err error) {
	err = s.stmts.get(ctx, tx, stmtLastNumber, 1).QueryRowContext(ctx, campaignID).Scan(&last, &regionsRev)
	if err != nil {
		return 0, 0, fmt.Errorf("campaign %d sequence: %w", campaignID, err)
	}
	return last, regionsRev, nil
}

func phoneHash(sub *pledge.Submission) []byte { return sub.PhoneHash }
func emailHash(sub *pledge.Submission) []byte { return sub.EmailHash }

// existing returns which of the hashes key gives of subs[part] (the empty
// ones left out) are stored already, looked up with the statement kind.
func (s *Store) existing(ctx context.Context, tx *sql.Tx, kind string, campaignID int64, subs []pledge.Submission, part []int,
	key func(*pledge.Submission) []byte) (map[string]bool, error) {
	hashes := make([][]byte, 0, len(part))
	for _, i := range part {
		if h := key(&subs[i]); len(h) > 0 {
			hashes = append(hashes, h)
		}
	}
	existing := make(map[string]bool)
	for _, n := range pieces(len(hashes)) {
		args := make([]any, 0, n+1)
		args = append(args, campaignID)
		for _, h := range hashes[:n] {
			args = append(args, h)
		}
		hashes = hashes[n:]
		if err := scanHashes(ctx, s.stmts.get(ctx, tx, kind, n), args, existing); err != nil {
			return nil, fmt.Errorf("look up %s: %w", kind, err)
		}
	}
	return existing, nil
}

func scanHashes(ctx context.Context, st *sql.Stmt, args []any, into map[string]bool) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return err
		}
		into[string(h)] = true
	}
	return rows.Err()
}

// insertRows inserts subs[rows], whose numbers are in results.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, subs []pledge.Submission, rows []int, results []store.Result) error {
	for _, n := range pieces(len(rows)) {
		st := s.stmts.get(ctx, tx, stmtInsert, n)
		args := make([]any, 0, n*11)
		for _, i := range rows[:n] {
			sub := &subs[i]
			args = append(args, sub.CampaignID, results[i].Receipt.Number, sub.Name, sub.PhoneHash, sub.PhoneMasked,
				nullString(sub.Email), nullBytes(sub.EmailHash), sub.Region, sub.Lang, sub.CreatedAt.UnixMicro(),
				pledge.SourceBytes(sub.Source))
		}
		rows = rows[n:]
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("insert pledges: %w", err)
		}
	}
	return nil
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

// nullBytes is b, or NULL when it is empty: a unique index on the column
// then leaves the row out.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
