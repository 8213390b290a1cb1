package pledge

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
)

// Tokens turns a certificate's (campaign, number) into an opaque URL token
// and back. A token is the AES encryption, under a key derived from the
// server secret, of the campaign ID, the number and eight zero bytes: it
// reveals neither, cannot be forged or guessed (a made-up token passes the
// zero check with probability 2^-64), and needs no index of its own in the
// database, which keeps the write path to one random-order index.
type Tokens struct {
	block cipher.Block
}

// Token purposes. Each derives its own key, so a token made for one purpose
// never works for another: the certificate link a citizen shares cannot
// withdraw the pledge.
const (
	PurposeCertificate = "pledge certificate token v1" // (campaign, number) of a certificate
	PurposeConfirm     = "pledge confirm token v1"     // (campaign, pending ID) of a pledge to confirm
	PurposeWithdraw    = "pledge withdraw token v1"    // (campaign, number) of a pledge to withdraw
	PurposePending     = "pledge pending token v1"     // (campaign, pending ID): the page that says "check your mail"
	PurposeVerify      = "pledge verify token v1"      // (campaign, number): the public verification page (the certificate's QR code)
)

// NewTokens derives the certificate token key from the server secret.
func NewTokens(secret []byte) *Tokens {
	return NewTokensFor(secret, PurposeCertificate)
}

// NewTokensFor derives the key of tokens for purpose from the server secret.
func NewTokensFor(secret []byte, purpose string) *Tokens {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	block, err := aes.NewCipher(m.Sum(nil)[:16])
	if err != nil {
		panic(err) // unreachable: the key has a valid length
	}
	return &Tokens{block: block}
}

// Encode returns the token of certificate number in campaign. Both must
// fit in 32 bits.
func (t *Tokens) Encode(campaignID, number int64) string {
	var b [16]byte
	binary.BigEndian.PutUint32(b[0:4], uint32(campaignID))
	binary.BigEndian.PutUint32(b[4:8], uint32(number))
	t.block.Encrypt(b[:], b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Decode returns the campaign and number of a token, or ErrNotFound for
// anything that is not a token this server issued.
func (t *Tokens) Decode(token string) (campaignID, number int64, err error) {
	var b [16]byte
	if base64.RawURLEncoding.DecodedLen(len(token)) != len(b) {
		return 0, 0, fmt.Errorf("token: %w", ErrNotFound)
	}
	if n, err := base64.RawURLEncoding.Strict().Decode(b[:], []byte(token)); err != nil || n != len(b) {
		return 0, 0, fmt.Errorf("token: %w", ErrNotFound)
	}
	t.block.Decrypt(b[:], b[:])
	if binary.BigEndian.Uint64(b[8:16]) != 0 {
		return 0, 0, fmt.Errorf("token: %w", ErrNotFound)
	}
	return int64(binary.BigEndian.Uint32(b[0:4])), int64(binary.BigEndian.Uint32(b[4:8])), nil
}
