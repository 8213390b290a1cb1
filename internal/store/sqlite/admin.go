package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// CreateUser stores a new admin account and sets u.ID.
func (s *Store) CreateUser(ctx context.Context, u *pledge.User, act *pledge.Action) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO users (username, password_hash, role, disabled, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING`,
			u.Username, u.PasswordHash, string(u.Role), u.Disabled, u.CreatedAt.UnixMicro())
		if err != nil {
			return fmt.Errorf("insert user %s: %w", u.Username, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %s: %w", u.Username, pledge.ErrDuplicate)
		}
		if u.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("user id: %w", err)
		}
		return logAction(ctx, tx, act)
	})
}

// User returns the account named username, or pledge.ErrNotFound.
func (s *Store) User(ctx context.Context, username string) (pledge.User, error) {
	u, err := scanUser(s.r.QueryRowContext(ctx, `SELECT id, username, password_hash, role, disabled, created_at
		FROM users WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", username, pledge.ErrNotFound)
	}
	return u, err
}

// SetUserPassword replaces the password hash of username. See store.Store.
func (s *Store) SetUserPassword(ctx context.Context, username, hash string, act *pledge.Action) error {
	return s.updateUser(ctx, username, act, false, `UPDATE users SET password_hash = ? WHERE username = ?`, hash)
}

// SetUserRole gives username role, keeping an enabled admin. See
// store.Store.
func (s *Store) SetUserRole(ctx context.Context, username string, role pledge.Role, act *pledge.Action) error {
	if !role.Valid() {
		return fmt.Errorf("user %q: role %q: want %s or %s", username, role, pledge.RoleAdmin, pledge.RoleViewer)
	}
	return s.updateUser(ctx, username, act, role != pledge.RoleAdmin, `UPDATE users SET role = ? WHERE username = ?`, string(role))
}

// SetUserDisabled stops username logging in, or lets it again, keeping an
// enabled admin. See store.Store.
func (s *Store) SetUserDisabled(ctx context.Context, username string, disabled bool, act *pledge.Action) error {
	return s.updateUser(ctx, username, act, disabled, `UPDATE users SET disabled = ? WHERE username = ?`, disabled)
}

// updateUser runs query, an UPDATE of username's row (its last parameter)
// with args before it, one column at a time so that concurrent changes to
// other columns are kept, and appends act to the audit log in the same
// transaction. demotes says the change takes away admin rights the account
// may have: then it is refused with store.ErrLastAdmin if the account is
// the last enabled admin. The one writer's transaction keeps a concurrent
// change from slipping between the check and the update.
func (s *Store) updateUser(ctx context.Context, username string, act *pledge.Action, demotes bool, query string, args ...any) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if demotes {
			var last bool
			err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(username = ?), 0) = 1 AND count(*) = 1
				FROM users WHERE role = 'admin' AND NOT disabled`, username).Scan(&last)
			if err != nil {
				return fmt.Errorf("count admins: %w", err)
			}
			if last {
				return fmt.Errorf("user %q: %w", username, store.ErrLastAdmin)
			}
		}
		res, err := tx.ExecContext(ctx, query, append(args, username)...)
		if err != nil {
			return fmt.Errorf("update user %s: %w", username, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %q: %w", username, pledge.ErrNotFound)
		}
		return logAction(ctx, tx, act)
	})
}

// inTx runs fn in a transaction on the writer and commits it if fn
// returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Users lists every account by username.
func (s *Store) Users(ctx context.Context) ([]pledge.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, username, password_hash, role, disabled, created_at FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []pledge.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func scanUser(row scanner) (pledge.User, error) {
	var u pledge.User
	var role string
	var created int64
	if err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &role, &u.Disabled, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, err
		}
		return u, fmt.Errorf("scan user: %w", err)
	}
	u.Role = pledge.Role(role)
	u.CreatedAt = time.UnixMicro(created).UTC()
	return u, nil
}

// SessionFind returns the data of an unexpired session.
func (s *Store) SessionFind(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.r.QueryRowContext(ctx, `SELECT data FROM sessions WHERE token = ? AND expiry > ?`,
		token, time.Now().UnixMicro()).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("find session: %w", err)
	}
	return data, true, nil
}

// SessionCommit stores or replaces a session until expiry, and clears
// expired ones now and then.
func (s *Store) SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO sessions (token, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		token, data, expiry.UnixMicro()); err != nil {
		return fmt.Errorf("commit session: %w", err)
	}
	if len(token) > 0 && token[0]%16 == 0 { // about one commit in sixteen sweeps
		if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= ?`, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("sweep sessions: %w", err)
		}
	}
	return nil
}

// SessionDelete removes a session.
func (s *Store) SessionDelete(ctx context.Context, token string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token = ?`, token); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// LogAction appends to the audit log and sets a.ID.
func (s *Store) LogAction(ctx context.Context, a *pledge.Action) error {
	return logAction(ctx, s.w, a)
}

// execer is the writer or a transaction on it.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// logAction appends a (nothing if nil) to the audit log through e and sets
// a.ID, and a.At if zero.
func logAction(ctx context.Context, e execer, a *pledge.Action) error {
	if a == nil {
		return nil
	}
	if a.At.IsZero() {
		a.At = time.Now().UTC().Truncate(time.Microsecond)
	}
	res, err := e.ExecContext(ctx, `INSERT INTO admin_actions (at, actor, remote, kind, detail, campaign) VALUES (?, ?, ?, ?, ?, ?)`,
		a.At.UnixMicro(), a.Actor, a.Remote, a.Kind, a.Detail, a.Campaign)
	if err != nil {
		return fmt.Errorf("log action: %w", err)
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("log action: %w", err)
	}
	return nil
}

// Actions returns up to limit entries older than before (0: newest), newest first.
func (s *Store) Actions(ctx context.Context, before int64, limit int) ([]pledge.Action, error) {
	return s.FilterActions(ctx, store.ActionFilter{}, before, limit)
}
