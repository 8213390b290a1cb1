package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pledgeportal/pledge/internal/pledge"
	"github.com/pledgeportal/pledge/internal/store"
)

// CreateUser stores a new admin account and sets u.ID.
func (s *Store) CreateUser(ctx context.Context, u *pledge.User, act *pledge.Action) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	}
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, disabled, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING RETURNING id`,
			u.Username, u.PasswordHash, string(u.Role), u.Disabled, u.CreatedAt).Scan(&u.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("user %s: %w", u.Username, pledge.ErrDuplicate)
		}
		if err != nil {
			return fmt.Errorf("insert user %s: %w", u.Username, err)
		}
		return logAction(ctx, tx, act)
	})
}

const userColumns = `id, username, password_hash, role, disabled, created_at`

// User returns the account named username, or pledge.ErrNotFound.
func (s *Store) User(ctx context.Context, username string) (pledge.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username)
	if err != nil {
		return pledge.User{}, fmt.Errorf("read user: %w", err)
	}
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", username, pledge.ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("read user: %w", err)
	}
	return u, nil
}

// SetUserPassword replaces the password hash of username. See store.Store.
func (s *Store) SetUserPassword(ctx context.Context, username, hash string, act *pledge.Action) error {
	return s.updateUser(ctx, username, act, false, `UPDATE users SET password_hash = $2 WHERE username = $1`, hash)
}

// SetUserRole gives username role, keeping an enabled admin. See
// store.Store.
func (s *Store) SetUserRole(ctx context.Context, username string, role pledge.Role, act *pledge.Action) error {
	if !role.Valid() {
		return fmt.Errorf("user %q: role %q: want %s or %s", username, role, pledge.RoleAdmin, pledge.RoleViewer)
	}
	return s.updateUser(ctx, username, act, role != pledge.RoleAdmin, `UPDATE users SET role = $2 WHERE username = $1`, string(role))
}

// SetUserDisabled stops username logging in, or lets it again, keeping an
// enabled admin. See store.Store.
func (s *Store) SetUserDisabled(ctx context.Context, username string, disabled bool, act *pledge.Action) error {
	return s.updateUser(ctx, username, act, disabled, `UPDATE users SET disabled = $2 WHERE username = $1`, disabled)
}

// updateUser runs query, an UPDATE of username's row ($1) with args after
// it, one column at a time so that concurrent changes to other columns
// are kept, and appends act to the audit log in the same transaction.
// demotes says the change takes away admin rights the account may have:
// then it is refused with store.ErrLastAdmin if the account is the last
// enabled admin. The enabled admins' rows are locked first, so that two
// such changes at once (each to another admin) are made one after the
// other, and the second sees the first.
func (s *Store) updateUser(ctx context.Context, username string, act *pledge.Action, demotes bool, query string, args ...any) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if demotes {
			rows, err := tx.Query(ctx, `SELECT username FROM users WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`)
			if err != nil {
				return fmt.Errorf("lock admins: %w", err)
			}
			admins, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("lock admins: %w", err)
			}
			if len(admins) == 1 && admins[0] == username {
				return fmt.Errorf("user %q: %w", username, store.ErrLastAdmin)
			}
		}
		tag, err := tx.Exec(ctx, query, append([]any{username}, args...)...)
		if err != nil {
			return fmt.Errorf("update user %s: %w", username, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("user %q: %w", username, pledge.ErrNotFound)
		}
		return logAction(ctx, tx, act)
	})
}

// Users lists every account by username.
func (s *Store) Users(ctx context.Context) ([]pledge.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

func scanUser(row pgx.CollectableRow) (pledge.User, error) {
	var u pledge.User
	var role string
	err := row.Scan(&u.ID, &u.Username, &u.PasswordHash, &role, &u.Disabled, &u.CreatedAt)
	u.Role = pledge.Role(role)
	u.CreatedAt = u.CreatedAt.UTC()
	return u, err
}

// SessionFind returns the data of an unexpired session.
func (s *Store) SessionFind(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM sessions WHERE token = $1 AND expiry > now()`, token).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
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
	if _, err := s.pool.Exec(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`, token, data, expiry); err != nil {
		return fmt.Errorf("commit session: %w", err)
	}
	if len(token) > 0 && token[0]%16 == 0 { // about one commit in sixteen sweeps
		if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expiry <= now()`); err != nil {
			return fmt.Errorf("sweep sessions: %w", err)
		}
	}
	return nil
}

// SessionDelete removes a session.
func (s *Store) SessionDelete(ctx context.Context, token string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE token = $1`, token); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// LogAction appends to the audit log and sets a.ID.
func (s *Store) LogAction(ctx context.Context, a *pledge.Action) error {
	return logAction(ctx, s.pool, a)
}

// rowQuerier is a pool or a transaction.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// logAction appends a (nothing if nil) to the audit log through q and sets
// a.ID, and a.At if zero.
func logAction(ctx context.Context, q rowQuerier, a *pledge.Action) error {
	if a == nil {
		return nil
	}
	if a.At.IsZero() {
		a.At = time.Now().UTC().Truncate(time.Microsecond)
	}
	err := q.QueryRow(ctx, `INSERT INTO admin_actions (at, actor, remote, kind, detail, campaign)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, a.At, a.Actor, a.Remote, a.Kind, a.Detail, a.Campaign).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("log action: %w", err)
	}
	return nil
}

// Actions returns up to limit entries older than before (0: newest), newest first.
func (s *Store) Actions(ctx context.Context, before int64, limit int) ([]pledge.Action, error) {
	return s.FilterActions(ctx, store.ActionFilter{}, before, limit)
}
