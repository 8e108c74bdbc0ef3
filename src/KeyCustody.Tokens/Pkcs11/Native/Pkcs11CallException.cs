namespace KeyCustody.Tokens.Pkcs11.Native;

/// <summary>
/// A PKCS#11 function that did not return CKR_OK, or whose answer PKCS#11 does not allow (<see cref="Misbehaviour"/>:
/// a length or a count we will not trust). It never leaves the token layer: <see cref="Pkcs11Errors"/> turns it into a
/// domain error.
/// </summary>
internal sealed class Pkcs11CallException : Exception
{
    public Pkcs11CallException(string function, CKR rv)
        : base($"{function} returned {rv}")
    {
        Function = function;
        RV = rv;
    }

    private Pkcs11CallException(string function, string misbehaviour)
        : base($"{function}: {misbehaviour}")
    {
        Function = function;
        RV = CKR.CKR_GENERAL_ERROR;
        Misbehaviour = misbehaviour;
    }

    public string Function { get; }

    /// <summary>The module's CKR; CKR_GENERAL_ERROR for a misbehaviour (the module may even have said CKR_OK).</summary>
    public CKR RV { get; }

    /// <summary>What the module answered that we refuse to act on, naming the module; null for a plain CKR.</summary>
    public string? Misbehaviour { get; }

    /// <summary>The module at <paramref name="module"/> answered <paramref name="function"/> as PKCS#11 does not allow.</summary>
    public static Pkcs11CallException Misbehaved(string function, string module, string what) =>
        new(function, $"the PKCS#11 module {module} {what}");
}
