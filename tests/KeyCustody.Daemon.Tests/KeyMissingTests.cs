using Grpc.Core;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>A key missing on its token is the token not being as configured (UNAVAILABLE, CLI exit 5), never bad input.</summary>
public sealed class KeyMissingTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Simulator(_d, "sim", 40000001) },
            keys = new[] { Key("alice-ssk", "sim", "9c", "self_signing") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task An_empty_slot_asked_for_by_name_is_unavailable()
    {
        using var client = _d.Client();
        var error = await Assert.ThrowsAsync<RpcException>(() => client.Admin.AttestAsync(new AttestRequest { Token = "sim", KeyId = "9e" }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Contains("holds no Ed25519 key named 9e", error.Status.Detail, StringComparison.Ordinal);
    }
}
