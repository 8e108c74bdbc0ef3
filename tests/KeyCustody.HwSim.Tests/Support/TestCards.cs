using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Touch;

namespace KeyCustody.HwSim.Tests.Support;

/// <summary>Cards for tests, all issued by one ephemeral simulator root per test run.</summary>
internal static class TestCards
{
    private static readonly Lazy<SimulatorRoot> SharedRoot = new(() => SimulatorRoot.CreateEphemeral());

    public static SimulatorRoot Root => SharedRoot.Value;

    public static VirtualCard Create(
        uint serial = 11409355,
        TouchMode touch = TouchMode.Auto,
        ManagementKeyAlgorithm mgm = ManagementKeyAlgorithm.Aes192,
        TimeSpan? touchTimeout = null,
        TimeProvider? time = null,
        string? statePath = null,
        CardProfile? profile = null,
        KeyAlgorithm attestationKey = KeyAlgorithm.EccP256,
        TimeSpan? touchCacheWindow = null) =>
        VirtualCard.Create(new CardOptions(Root)
        {
            Profile = profile,
            AttestationKeyAlgorithm = attestationKey,
            Serial = serial,
            Touch = touch,
            AutoTouchDelay = TimeSpan.Zero,
            TouchTimeout = touchTimeout ?? TimeSpan.FromMilliseconds(100),
            ManagementKeyAlgorithm = mgm,
            Time = time ?? TimeProvider.System,
            StatePath = statePath,
            TouchCacheWindow = touchCacheWindow ?? CardOptions.YubiKeyTouchCacheWindow,
        });
}

/// <summary>A clock tests move by hand (cached-touch window).</summary>
internal sealed class ManualTime : TimeProvider
{
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
