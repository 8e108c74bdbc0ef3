using KeyCustody.Daemon.Requests;
using KeyCustody.Tokens;

namespace KeyCustody.Daemon.KeyAdmin;

/// <summary>PIN and touch policies as an admin writes them.</summary>
internal static class KeyPolicyNames
{
    public static PinPolicy ParsePin(string text) => text switch
    {
        "" or "default" => PinPolicy.Default,
        "never" => PinPolicy.Never,
        "once" => PinPolicy.Once,
        "always" => PinPolicy.Always,
        _ => throw Refusal.Of(DaemonErrors.InvalidArgument($"pin_policy '{text}' is not one of default, never, once, always")),
    };

    public static TouchPolicy ParseTouch(string text) => text switch
    {
        "" or "default" => TouchPolicy.Default,
        "never" => TouchPolicy.Never,
        "always" => TouchPolicy.Always,
        "cached" => TouchPolicy.Cached,
        _ => throw Refusal.Of(DaemonErrors.InvalidArgument($"touch_policy '{text}' is not one of default, never, always, cached")),
    };
}
