package identity

import (
	"bytes"
	"context"
	"errors"
)

// Prompter asks the human for a secret (a passphrase) without echoing it.
// The CLI passes TTY{}; tests pass a PrompterFunc. The returned slice is
// the caller's to wipe, and this package wipes it.
type Prompter interface {
	ReadSecret(ctx context.Context, prompt string) ([]byte, error)
}

// PrompterFunc adapts a function to Prompter.
type PrompterFunc func(ctx context.Context, prompt string) ([]byte, error)

func (f PrompterFunc) ReadSecret(ctx context.Context, prompt string) ([]byte, error) {
	return f(ctx, prompt)
}

// askPassphrase asks once, to unlock where.
func askPassphrase(ctx context.Context, p Prompter, where string) ([]byte, error) {
	if p == nil {
		return nil, &Error{Where: where, Problem: "is passphrase-protected and there is no terminal to ask",
			Fix: "run this from a terminal, or set " + EnvIdentity + " for headless use", Err: ErrNoTerminal}
	}
	pass, err := p.ReadSecret(ctx, "Passphrase for "+where+": ")
	if err != nil {
		return nil, promptErr(where, err)
	}
	return pass, nil
}

// askNewPassphrase asks twice and insists the answers match and are not
// empty: a typo here would lock the user out of their key.
func askNewPassphrase(ctx context.Context, p Prompter, where string) ([]byte, error) {
	if p == nil {
		return nil, &Error{Where: where, Problem: "needs a passphrase and there is no terminal to ask",
			Fix: "run this from a terminal", Err: ErrNoTerminal}
	}
	first, err := p.ReadSecret(ctx, "New passphrase for "+where+": ")
	if err != nil {
		return nil, promptErr(where, err)
	}
	if len(bytes.TrimSpace(first)) == 0 {
		wipe(first)
		return nil, &Error{Where: where, Problem: "empty passphrase", Fix: "choose a passphrase: it is what protects your key on disk"}
	}
	second, err := p.ReadSecret(ctx, "Repeat the passphrase: ")
	if err != nil {
		wipe(first)
		return nil, promptErr(where, err)
	}
	defer wipe(second)
	if !bytes.Equal(first, second) {
		wipe(first)
		return nil, &Error{Where: where, Problem: "the passphrases do not match", Fix: "run the command again"}
	}
	return first, nil
}

func promptErr(where string, err error) error {
	var ie *Error
	if errors.As(err, &ie) {
		return err
	}
	return &Error{Where: where, Problem: "cannot read the passphrase: " + err.Error(), Fix: "run this from a terminal", Err: err}
}
