package web

import (
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/pledgeportal/pledge/internal/pledge"
)

// admitClient counts a pledge attempt against its client address.
func (s *Server) admitClient(w http.ResponseWriter, r *http.Request) error {
	if !s.deps.Limits.AllowIP(w, limitKey(s.client.of(r))) {
		return errRateLimited
	}
	return nil
}

// admitPhone counts a pledge attempt against its mobile number and campaign,
// which stops anyone probing which numbers have pledged.
func (s *Server) admitPhone(w http.ResponseWriter, r *http.Request, sub pledge.Submission) error {
	key := strconv.FormatInt(sub.CampaignID, 10) + ":" + hex.EncodeToString(sub.PhoneHash[:16])
	if !s.deps.Limits.AllowPhone(w, key) {
		return errPhoneLimited
	}
	return nil
}
