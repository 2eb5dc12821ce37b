// Package vault reads and writes Patina's secrets files, compatible with
// the original tool's:
//
//   - vault.age: ASCII-armored age whose plaintext is TOML, a [meta] table
//     (version = 1, created_at, modified_at as RFC 3339 strings) and a
//     [values] table of name = "value" (Vault, Load, Save);
//   - secrets.toml: version = 1 and [secrets] name = { env = "ENV" }, the
//     variable each secret is exported as (Registry);
//   - recipient.txt (global) / recipients.txt (project): one age1… public
//     key a line, # comments (Recipients).
//
// A typical `secrets add`:
//
//	rs, err := vault.LoadRecipients(recipientsPath)
//	v, err := vault.LoadOrNew(vaultPath, id.Age())
//	defer v.Wipe()
//	err = v.Set("api-key", value)
//	err = v.Save(rs.AgeRecipients())
//	reg, err := vault.LoadRegistryOrNew(registryPath)
//	err = reg.Set("api-key", "")        // "" → API_KEY
//	err = reg.Save()
//
// and a `secrets run`:
//
//	env, err := vault.Merge(vault.Scope{Vault: gv, Registry: greg}, vault.Scope{Vault: pv, Registry: preg})
//	defer env.Wipe()
//	for _, kv := range env.Pairs() {
//		cmd.Env = append(cmd.Env, kv[0]+"="+kv[1])
//	}
//
// VaultID / FileID / Vault.ID give the daemon's cache key for a vault file
// (path + content hash), so the CLI can ask the cache before unlocking:
// FileID(path) → GET /secrets/cache?vault=ID; on a hit, FromSnapshot(path,
// ID, cached) stands in for Load; on a miss, Load and push v.Snapshot().
//
// Rules the package keeps so its callers need not:
//
//   - Parsing is strict: unknown keys, a version other than 1, invalid
//     names and malformed recipients are errors.
//   - Every error is an *Error: one line naming the file, the problem and
//     the fix. Missing files wrap fs.ErrNotExist; a vault you are not a
//     recipient of wraps ErrWrongIdentity.
//   - No error, and no fmt verb applied to a Vault or Env, ever contains a
//     secret value or an identity; the package never logs.
//   - Every file is written 0600 through atomicfile.Write (temp file, fsync,
//     rename), so a crash leaves the old file or the new one.
//   - Values live in byte slices that Vault.Wipe and Env.Wipe zero. The TOML
//     parser and age work on strings and internal buffers Go cannot wipe;
//     the process exiting is the final wipe.
package vault
