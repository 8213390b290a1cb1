package web

import (
	"context"
	"time"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// readTimeout bounds one read of a pledge for a page (the certificate,
// thank-you, verification and mail links' pages, and a second tap's way
// back), as countsTimeout bounds a read of the counts: a database that
// does not answer gives 503 with Retry-After within seconds (storeRead),
// not a request that hangs until the client gives up.
const readTimeout = 2 * time.Second

// readPledge reads pledge number of campaign campaignID within readTimeout.
func (s *Server) readPledge(ctx context.Context, campaignID, number int64) (pledge.Pledge, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	return s.deps.Store.Pledge(ctx, campaignID, number)
}

// readPending reads pending pledge id of campaign campaignID within
// readTimeout.
func (s *Server) readPending(ctx context.Context, campaignID, id int64) (pledge.Pending, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	return s.deps.Store.Pending(ctx, campaignID, id)
}

// readNumberByPhone reads the number of the campaign's pledge made with
// the mobile number whose keyed hash is phoneHash within readTimeout.
func (s *Server) readNumberByPhone(ctx context.Context, campaignID int64, phoneHash []byte) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	return s.deps.Store.NumberByPhone(ctx, campaignID, phoneHash)
}

// readPendingByPhone reads the ID of the campaign's pending pledge made
// with the mobile number whose keyed hash is phoneHash within readTimeout.
func (s *Server) readPendingByPhone(ctx context.Context, campaignID int64, phoneHash []byte) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	return s.deps.Store.PendingByPhone(ctx, campaignID, phoneHash)
}
