//go:build darwin && cgo

package identity

/*
#cgo LDFLAGS: -framework CoreFoundation -framework Security
#include <stdlib.h>
#include <CoreFoundation/CoreFoundation.h>
#include <Security/Security.h>

// patina_keychain_add stores data as a generic password readable only after
// user presence (Touch ID, or the login password as fallback), on this
// device only, while it is unlocked. go-keychain has no way to attach a
// SecAccessControl, hence this one function in C.
static OSStatus patina_keychain_add(const char *service, const char *account, const char *label,
                                    const void *data, CFIndex len) {
	CFErrorRef cferr = NULL;
	SecAccessControlRef ac = SecAccessControlCreateWithFlags(kCFAllocatorDefault,
		kSecAttrAccessibleWhenUnlockedThisDeviceOnly, kSecAccessControlUserPresence, &cferr);
	if (ac == NULL) {
		if (cferr != NULL) CFRelease(cferr);
		return errSecParam;
	}
	CFStringRef svc = CFStringCreateWithCString(kCFAllocatorDefault, service, kCFStringEncodingUTF8);
	CFStringRef acct = CFStringCreateWithCString(kCFAllocatorDefault, account, kCFStringEncodingUTF8);
	CFStringRef lbl = CFStringCreateWithCString(kCFAllocatorDefault, label, kCFStringEncodingUTF8);
	CFDataRef value = CFDataCreate(kCFAllocatorDefault, (const UInt8 *)data, len);
	const void *keys[] = { kSecClass, kSecAttrService, kSecAttrAccount, kSecAttrLabel, kSecValueData, kSecAttrAccessControl };
	const void *vals[] = { kSecClassGenericPassword, svc, acct, lbl, value, ac };
	CFDictionaryRef query = CFDictionaryCreate(kCFAllocatorDefault, keys, vals, 6,
		&kCFTypeDictionaryKeyCallBacks, &kCFTypeDictionaryValueCallBacks);
	OSStatus status = SecItemAdd(query, NULL);
	CFRelease(query);
	CFRelease(value);
	CFRelease(lbl);
	CFRelease(acct);
	CFRelease(svc);
	CFRelease(ac);
	return status;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"github.com/keybase/go-keychain"
)

var platformKeychain keychainStore = macKeychain{}

// errSecMissingEntitlement (-34018): the binary is not signed with a
// keychain entitlement, which access-controlled items can require.
const errSecMissingEntitlement = -34018

type macKeychain struct{}

// item names our keychain item; query adds what a lookup needs
// (SecItemUpdate rejects a match limit, so the update uses item alone).
func (macKeychain) item() keychain.Item {
	q := keychain.NewItem()
	q.SetSecClass(keychain.SecClassGenericPassword)
	q.SetService(keychainService)
	q.SetAccount(keychainAccount)
	return q
}

func (k macKeychain) query() keychain.Item {
	q := k.item()
	q.SetMatchLimit(keychain.MatchLimitOne)
	return q
}

func (k macKeychain) Exists() (bool, error) {
	q := k.query()
	q.SetReturnAttributes(true) // attributes only: no user-presence prompt
	res, err := keychain.QueryItem(q)
	if err != nil {
		return false, keychainErr("cannot query the keychain", err)
	}
	return len(res) > 0, nil
}

func (k macKeychain) Get(ctx context.Context) ([]byte, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	q := k.query()
	q.SetReturnData(true) // this is what asks for Touch ID
	res, err := keychain.QueryItem(q)
	switch {
	case errors.Is(err, keychain.ErrorUserCanceled), errors.Is(err, keychain.ErrorAuthFailed):
		return nil, false, &Error{Where: "keychain", Problem: "unlock was cancelled or failed", Fix: "run the command again and confirm with Touch ID or your password"}
	case err != nil:
		return nil, false, keychainErr("cannot read the keychain item", err)
	case len(res) == 0:
		return nil, false, nil
	}
	return res[0].Data, true, nil
}

func (k macKeychain) Put(data []byte, replace bool) error {
	if len(data) == 0 {
		return errors.New("empty keychain item")
	}
	csvc, cacct, clbl := C.CString(keychainService), C.CString(keychainAccount), C.CString(keychainLabel)
	defer C.free(unsafe.Pointer(csvc))
	defer C.free(unsafe.Pointer(cacct))
	defer C.free(unsafe.Pointer(clbl))
	status := C.patina_keychain_add(csvc, cacct, clbl, unsafe.Pointer(&data[0]), C.CFIndex(len(data)))
	switch {
	case status == C.errSecSuccess:
		return nil
	case status == C.errSecDuplicateItem && !replace:
		return &Error{Where: "keychain", Problem: "already holds a Patina identity", Err: ErrExists,
			Fix: "back it up with `patina secrets export-key --out FILE`, then import again with --replace"}
	case status == C.errSecDuplicateItem:
		// Update in place: the item keeps its access control, and there is
		// no moment without a stored key.
		upd := keychain.NewItem()
		upd.SetData(data)
		if err := keychain.UpdateItem(k.item(), upd); err != nil {
			return keychainErr("cannot replace the keychain item", err)
		}
		return nil
	case status == errSecMissingEntitlement || status == C.errSecParam || status == C.errSecNotAvailable:
		return fmt.Errorf("%w: %v", errKeychainUnavailable, keychain.Error(status))
	default:
		return keychainErr("cannot store the identity in the keychain", keychain.Error(status))
	}
}

func keychainErr(problem string, err error) error {
	return &Error{Where: "keychain", Problem: fmt.Sprintf("%s: %v", problem, err), Err: err,
		Fix: "check Keychain Access, or set " + EnvIdentity + " to bypass it"}
}
