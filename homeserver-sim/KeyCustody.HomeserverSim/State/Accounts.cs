using System.Security.Cryptography;
using System.Text;

namespace KeyCustody.HomeserverSim.State;

/// <summary>Who is who: users with passwords, and access tokens each bound to a user and a device (no /login: tokens are handed out).</summary>
internal sealed class Accounts
{
    private readonly Dictionary<string, (string User, string Device)> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _passwords = new(StringComparer.Ordinal);
    private int _next;

    public bool Exists(string user) => _passwords.ContainsKey(user);

    /// <summary>Adds (or replaces) a user's password and binds <paramref name="token"/> to the user and a device.</summary>
    public void Add(string user, string token, string password, string? device)
    {
        _passwords[user] = Encoding.UTF8.GetBytes(password);
        _tokens[token] = (user, device ?? NewDeviceId());
    }

    /// <summary>A new token (and device) for an existing or new user; the password is set only for a new user.</summary>
    public (string Token, string Device) Register(string user, string? password, string? device)
    {
        var token = "sim_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        if (!_passwords.ContainsKey(user))
        {
            _passwords[user] = Encoding.UTF8.GetBytes(password ?? string.Empty);
        }

        device ??= NewDeviceId();
        _tokens[token] = (user, device);
        return (token, device);
    }

    public (string User, string Device)? Resolve(string token) => _tokens.TryGetValue(token, out var who) ? who : null;

    public bool PasswordMatches(string user, string password) =>
        _passwords.TryGetValue(user, out var stored) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), stored);

    private string NewDeviceId() => "SIMDEVICE" + (++_next).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
