namespace KeyCustody.Cli.Provisioning;

/// <summary>
/// Default PIN policies adapted to the key's token: an OpenPGP card asks for a PIN before any use of a private key, so
/// the default 'never' becomes 'once' there (the daemon gives the PIN from its configuration once per card session).
/// A policy the operator gave is kept, and the daemon refuses 'never' for an OpenPGP key plainly.
/// </summary>
internal static class PinDefaults
{
    public static string For(string pin, bool given, string tokenKind, string what)
    {
        if (pin != "never" || given || tokenKind != "openpgp")
        {
            return pin;
        }

        Console.Error.WriteLine($"the {what} is on an OpenPGP card, which always asks for a PIN: PIN policy 'once' instead of the default 'never'");
        return "once";
    }
}
