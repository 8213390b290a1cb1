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
			existing, err := s.existingPhones(ctx, tx, id, subs, part)
			if err != nil {
				return nil, err
			}
			rows := make([]int, 0, len(part))
			for _, i := range part {
				if existing[string(subs[i].PhoneHash)] {
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

// existingPhones returns which phone hashes of subs[part] are stored already.
func (s *Store) existingPhones(ctx context.Context, tx *sql.Tx, campaignID int64, subs []pledge.Submission, part []int) (map[string]bool, error) {
	existing := make(map[string]bool)
	for _, n := range pieces(len(part)) {
		st := s.stmts.get(ctx, tx, stmtExisting, n)
		args := make([]any, 0, n+1)
		args = append(args, campaignID)
		for _, i := range part[:n] {
			args = append(args, subs[i].PhoneHash)
		}
		part = part[n:]
		if err := scanPhones(ctx, st, args, existing); err != nil {
			return nil, err
		}
	}
	return existing, nil
}

func scanPhones(ctx context.Context, st *sql.Stmt, args []any, into map[string]bool) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("look up phones: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return fmt.Errorf("scan phone: %w", err)
		}
		into[string(h)] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look up phones: %w", err)
	}
	return nil
}

// insertRows inserts subs[rows], whose numbers are in results.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, subs []pledge.Submission, rows []int, results []store.Result) error {
	for _, n := range pieces(len(rows)) {
		st := s.stmts.get(ctx, tx, stmtInsert, n)
		args := make([]any, 0, n*10)
		for _, i := range rows[:n] {
			sub := &subs[i]
			args = append(args, sub.CampaignID, results[i].Receipt.Number, sub.Name, sub.PhoneHash, sub.PhoneMasked,
				nullString(sub.Email), sub.Region, sub.Lang, sub.CreatedAt.UnixMicro(), pledge.SourceBytes(sub.Source))
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
