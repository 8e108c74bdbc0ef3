using KeyCustody.Protos.V1;
using Xunit;

namespace KeyCustody.Cli.Tests;

/// <summary>The touch line names the device the daemon says the token is; a daemon that names none gets a neutral word.</summary>
public sealed class ProgressTests
{
    [Theory]
    [InlineData("Nitrokey", "Nitrokey")]
    [InlineData("YubiKey", "YubiKey")]
    [InlineData("", "security key")]
    [InlineData("Evil\u001b[2J", "Evil\\u{1B}[2J")]
    public void The_device_to_touch_is_the_one_the_token_reports(string reported, string shown) =>
        Assert.Equal(shown, Progress.Device(new PresenceRequired { Method = PresenceRequired.Types.Method.Touch, TokenDevice = reported }));
}
