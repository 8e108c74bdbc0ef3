namespace KeyCustody.Tokens.Pkcs11.Native;

/// <summary>
/// A PKCS#11 function that did not return CKR_OK: which one, and its CKR. It never leaves the token layer:
/// <see cref="Pkcs11Errors"/> turns it into a domain error.
/// </summary>
internal sealed class Pkcs11CallException(string function, CKR rv) : Exception($"{function} returned {rv}")
{
    public string Function { get; } = function;

    public CKR RV { get; } = rv;
}
