//go:build !linux

package loadtest

import (
	"context"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// epollAttack sends nothing and reports false: epoll(7) is Linux's, and
// elsewhere vegeta's attacker sends every request.
func epollAttack(context.Context, Config, vegeta.Targeter, *collector) bool {
	return false
}
