using KeyCustody.Daemon.Configuration;
using KeyCustody.Tokens;
using KeyCustody.Tokens.Pkcs11;

namespace KeyCustody.Daemon.Tokens;

/// <summary>
/// Logs a PKCS#11 token in when it is opened, if its PIN is configured, so its keys' private halves and policies are
/// known before the first signature: modules such as Yubico's ykcs11 show a private key (and with it the YubiKey's PIN
/// and touch policy, which decide between a touch prompt and an operator's approval) only after login. A PIN the token
/// refuses is not tried again by this, for the rest of the daemon's run: a token opened again after a device error,
/// or the health probe, must not use up PIN attempts; signatures still try it, one attempt each, as before.
/// </summary>
internal sealed class LoginAtOpen(TokenSettings settings)
{
    private volatile bool _refused;

    public Pkcs11Token Open(Pkcs11Token token)
    {
        if (settings.Pin is null || _refused)
        {
            return token;
        }

        var interaction = new TokenInteraction { Pin = (_, _) => ValueTask.FromResult<Secret?>(settings.Pin.Read()) };
        try
        {
            // The PIN comes from a file or the environment: nothing here waits on a person.
            token.LoginAsync(interaction).GetAwaiter().GetResult();
        }
        catch (TokenException e)
        {
            // Anything else (the token went away meanwhile) is for the first signature to meet and report.
            _refused |= e.IsPinRefusal;
        }

        return token;
    }
}
