using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using Xunit;

namespace KeyCustody.Daemon.Tests.FaultLoad;

/// <summary>The fault run's rig, started once for the focused fault tests below.</summary>
public sealed class FaultRigFixture : IAsyncLifetime
{
    private string _root = null!;

    internal FaultRig Rig { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("keycustody-faultrig-").FullName;
        Rig = await FaultRig.StartAsync(_root);
    }

    public async Task DisposeAsync()
    {
        await Rig.DisposeAsync();
        if (Environment.GetEnvironmentVariable("KEYCUSTODY_KEEP_TEST_DIRS") is null)
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}

/// <summary>
/// Single faults, one at a time, each with what the daemon must say while it lasts and that it serves again once
/// it is undone (the fault run mixes them under load; these pin each one down).
/// </summary>
public sealed class FaultRecoveryTests(FaultRigFixture fixture) : IClassFixture<FaultRigFixture>
{
    private readonly Payloads _payloads = new(90);

    private FaultRig Rig => fixture.Rig;

    [Fact]
    public async Task After_pcscd_is_killed_and_restarted_both_cards_sign_again()
    {
        Assert.Null((await SignAsync("alice-ssk")).Status);
        Assert.Null((await SignAsync("bob-ssk")).Status);

        Rig.Pcscd.Restart();

        // pcscd is back at once and the hw-sim cards reconnect by themselves; the daemon must find them again
        // through a new PC/SC context (the old one died with the old pcscd). Bounded by attempts, not time.
        foreach (var key in new[] { "alice-ssk", "bob-ssk" })
        {
            var errors = new List<string>();
            for (var attempt = 0; attempt < 60; attempt++)
            {
                var (status, detail) = await SignAsync(key);
                if (status is null)
                {
                    break;
                }

                Assert.Equal(StatusCode.Unavailable, status);
                errors.Add(detail!);
                await Task.Delay(500);
            }

            Assert.True(errors.Count < 60, $"{key} never signed again after pcscd restarted: {errors.LastOrDefault()}");
        }
    }

    [Fact]
    public async Task A_token_replaced_under_the_same_label_is_unavailable_never_signs_and_the_original_serves_again()
    {
        Assert.Null((await SignAsync("hsm-server")).Status);

        Rig.Hsm.Park();
        Rig.Hsm.CreateImpostor(["srv", "carol-ssk"]);
        var answers = new List<(StatusCode? Status, string? Detail)>();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                answers.Add(await SignAsync("hsm-server"));
                await Task.Delay(300);
            }
        }
        finally
        {
            Rig.Hsm.RemoveImpostor();
            Rig.Hsm.Unpark();
        }

        // Never signed (SignAsync checks every signature against the generated key), never the caller's fault:
        // the key is unavailable because the token holds another key under its label.
        Assert.All(answers, a => Assert.Equal(StatusCode.Unavailable, a.Status));
        Assert.Contains(answers, a => a.Detail!.Contains("not the configured device or the key was replaced", StringComparison.Ordinal));

        StatusCode? last = StatusCode.Unavailable;
        for (var attempt = 0; attempt < 60 && last is not null; attempt++)
        {
            (last, _) = await SignAsync("hsm-server");
            await Task.Delay(last is null ? 0 : 500);
        }

        Assert.Null(last);
    }

    /// <summary>One SignJson on a new valid object; a signature is checked against the key the daemon generated.</summary>
    private async Task<(StatusCode? Status, string? Detail)> SignAsync(string keyName)
    {
        var key = FaultRig.Keys.Single(k => k.Name == keyName);
        var sent = _payloads.Allowed(keyName);
        using var client = Rig.Daemon.Client();
        try
        {
            var signed = await KeyCustody.Client.KeyCustodyClient.FollowAsync(
                client.Custody.SignJson(new SignJsonRequest { Key = keyName, Json = ByteString.CopyFrom(CanonicalJson.Encode(sent)) }, deadline: DateTime.UtcNow.AddSeconds(60)), null);
            Assert.Null(SignatureCheck.Problem(key, Rig.PublicKeys[keyName], sent, signed.SignedJson[0].ToByteArray(), signed.KeyId));
            return (null, null);
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Status.Detail);
        }
    }
}
