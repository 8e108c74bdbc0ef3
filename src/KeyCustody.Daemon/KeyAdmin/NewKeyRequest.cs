using KeyCustody.Daemon.Keys;
using KeyCustody.Daemon.Security;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.KeyAdmin;

/// <summary>
/// An admin's request for a new key: on a configured key's token and slot (<paramref name="Key"/>), or on a token's
/// slot by name; the PIN and touch policies as written by the caller ("" or "default" for the token's default).
/// </summary>
public sealed record NewKeyRequest(Principal Caller, string Key, string Token, string KeyId, string PinPolicy, string TouchPolicy, bool Overwrite);

/// <summary>A new key: what the token says of it, and the configured keys in that slot (re-pinned, their provenance recorded).</summary>
public sealed record NewKey(TokenKey Key, IReadOnlyList<KeyEntry> Configured);
