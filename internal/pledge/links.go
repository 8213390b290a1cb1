package pledge

import "net/url"

// Links builds the public paths of a pledge's pages, each carrying a token
// of its own purpose, so that the web pages and the mails agree on them.
type Links struct {
	Certificate *Tokens // (campaign, number)
	Confirm     *Tokens // (campaign, pending ID)
	Withdraw    *Tokens // (campaign, number)
	Pending     *Tokens // (campaign, pending ID)
	Verify      *Tokens // (campaign, number)
}

// NewLinks derives every purpose's tokens from the server secret.
func NewLinks(secret []byte) *Links {
	return &Links{
		Certificate: NewTokensFor(secret, PurposeCertificate),
		Confirm:     NewTokensFor(secret, PurposeConfirm),
		Withdraw:    NewTokensFor(secret, PurposeWithdraw),
		Pending:     NewTokensFor(secret, PurposePending),
		Verify:      NewTokensFor(secret, PurposeVerify),
	}
}

// CertificatePath is the path of a certificate's page.
func (l *Links) CertificatePath(campaignID, number int64) string {
	return "/certificate/" + l.Certificate.Encode(campaignID, number)
}

// ConfirmPath is the path of the page that confirms a pending pledge (the
// link of the opt-in mail). Only the mail carries it.
func (l *Links) ConfirmPath(slug string, campaignID, pendingID int64) string {
	return "/c/" + url.PathEscape(slug) + "/confirm/" + l.Confirm.Encode(campaignID, pendingID)
}

// WithdrawPath is the path of the page that withdraws a pledge. Only the
// mail carries it: the certificate's link, which citizens share, cannot
// withdraw.
func (l *Links) WithdrawPath(slug string, campaignID, number int64) string {
	return "/c/" + url.PathEscape(slug) + "/withdraw/" + l.Withdraw.Encode(campaignID, number)
}

// PendingPath is the path of the page a citizen lands on after a pledge
// that waits for confirmation: it says to check the mail and offers a
// resend. It cannot confirm.
func (l *Links) PendingPath(slug string, campaignID, pendingID int64) string {
	return "/c/" + url.PathEscape(slug) + "/pending/" + l.Pending.Encode(campaignID, pendingID)
}

// VerifyPath is the path of a pledge's public verification page, the URL of
// its certificate's QR code. Its token is not the certificate's: whoever
// scans the code learns the pledge's status and a masked name, not the
// certificate's URL, which shows the full name.
func (l *Links) VerifyPath(campaignID, number int64) string {
	return "/verify/" + l.Verify.Encode(campaignID, number)
}
