package bot

import "errors"

// Failures the adapters report through the ports, so that the domain can
// tell a person what went wrong instead of having WeCom retry forever.
var (
	// ErrPermanent marks a failure no retry can fix: WeCom refused a
	// media_id, a file is past a size limit, a ledger cannot be built.
	ErrPermanent = errors.New("permanent failure")
	// ErrTooLarge marks a file past a size limit (WeCom's or ours); an
	// error that wraps it is permanent too.
	ErrTooLarge = errors.New("too large")
)

// Permanent marks err as one no retry can fix (errors.Is(err, ErrPermanent)).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (e permanentError) Error() string        { return e.err.Error() }
func (e permanentError) Unwrap() error        { return e.err }
func (e permanentError) Is(target error) bool { return target == ErrPermanent }

// IsPermanent reports whether no retry can fix err: marked Permanent, or
// past a size limit.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrPermanent) || errors.Is(err, ErrTooLarge)
}
