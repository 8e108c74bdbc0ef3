using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using KeyCustody.Matrix.Signing;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The whole real path: keycustodyd → libpcsclite → a private pcscd → vpcd → two keycustody-hwsim cards (separate
/// process, controlled through its control socket). Card 1 waits for a manual touch; card 2 touches itself.
/// </summary>
public sealed class PcscTests : IAsyncLifetime
{
    private const uint Card1 = 30000001;
    private const uint Card2 = 30000002;

    /// <summary>A backstop only: every wait below ends on what it waits for.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private readonly Ed25519SoftwareKey _device = Ed25519SoftwareKey.FromSeed("daves-desktop-daves-desktop-dave"u8);
    private PrivatePcscd _pcscd = null!;
    private Process _hwsim = null!;
    private string _control = null!;

    public async Task InitializeAsync()
    {
        _pcscd = new PrivatePcscd("daemon-pcscd-");
        _control = Path.Combine(_d.Root, "hwsim.sock");
        _hwsim = HwSim("run", "--vpcd", _pcscd.Endpoint(0).ToString(), "--vpcd", _pcscd.Endpoint(1).ToString(), "--serial", Card1.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--touch", "manual", "--touch-timeout", "20000", "--control", _control, "--root", Path.Combine(_d.Root, "hwsim-root.json"));
        await WaitFor(() =>
        {
            Assert.False(_hwsim.HasExited, "keycustody-hwsim exited");
            return File.Exists(_control);
        }, "keycustody-hwsim's control socket");

        Control("mode", "auto", "--delay", "0", "--serial", Card2.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var pin = SecretFile(_d, "pin", "123456");
        var mgm = SecretFile(_d, "mgm", "010203040506070801020304050607080102030405060708");
        _d.Environment[PrivatePcscd.SocketVariable] = _pcscd.SocketPath;
        _d.Configure(new
        {
            tokens = new object[]
            {
                new { name = "yk1", kind = "piv", serial = Card1, pin = new { file = pin }, managementKey = new { file = mgm } },
                new { name = "yk2", kind = "piv", serial = Card2, pin = new { file = pin }, managementKey = new { file = mgm } },
            },
            keys = new[] { Key("ssk1", "yk1", "9a", "self_signing"), Key("ssk2", "yk2", "9a", "self_signing", owner: Other) },
            access = new[] { Rule(Me, ["*"], "sign", "approve", "admin") },
            attestation = new { roots = new[] { RootPem(Path.Combine(_d.Root, "hwsim-root.json"), Path.Combine(_d.Root, "hwsim-root.pem")) } },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "yk2", "9a", pin: "never", touch: "always");
        await Generate(client, "yk1", "9a", pin: "never", touch: "always");
    }

    public async Task DisposeAsync()
    {
        await _d.DisposeAsync();
        if (!_hwsim.HasExited)
        {
            _hwsim.Kill();
            _hwsim.WaitForExit(10_000);
        }

        _hwsim.Dispose();
        _pcscd.Dispose();
        _device.Dispose();
    }

    [Fact]
    public async Task A_card_removed_mid_signature_is_unavailable_others_keep_serving_and_it_serves_again_after_reinsertion()
    {
        using var client = _d.Client();
        var keys = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys;
        var ssk2 = keys.Single(k => k.Name == "ssk2");

        // Through pcscd, signed by card 2 (auto touch), verified by python-signedjson.
        var (events2, error2) = await Collect(client.Custody.SignJson(SignRequest("ssk2", Identities.SignedDevice(Other, "BOBDESK", _device, null))));
        Assert.Null(error2);
        Assert.Equal(["valid"], PythonOracle.Verify([events2[^1].Signed.SignedJson[0].ToByteArray()], ssk2.PublicKey, Other, ssk2.PublicKey));

        // Card 1 waits for a touch; it is pulled out meanwhile.
        var events = new List<SignEvent>();
        var call = client.Custody.SignJson(SignRequest("ssk1", Identities.SignedDevice(User, "ALICEDESK", _device, null)));
        var reading = Task.Run(async () =>
        {
            await foreach (var e in call.ResponseStream.ReadAllAsync())
            {
                lock (events)
                {
                    events.Add(e);
                }
            }
        });
        await WaitFor(() => { lock (events) { return events.Any(e => e.EventCase == SignEvent.EventOneofCase.PresenceRequired); } }, "PRESENCE_REQUIRED");

        // PRESENCE_REQUIRED comes before the command goes to the card: pull the card once it is waiting for the touch.
        await WaitFor(() => WaitingForTouch(Card1), "card 1 waiting for a touch");
        Control("unplug", "--serial", Card1.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var removed = await Assert.ThrowsAsync<RpcException>(() => reading);
        Assert.Equal(StatusCode.Unavailable, removed.StatusCode);
        Assert.DoesNotContain(events, e => e.EventCase == SignEvent.EventOneofCase.Signed);

        // The daemon keeps serving the other card.
        Assert.Null((await Collect(client.Custody.SignJson(SignRequest("ssk2", Identities.SignedDevice(Other, "BOBDESK", _device, null))))).Error);

        // Back in, touching by itself now: card 1 signs again.
        Control("plug", "--serial", Card1.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Control("mode", "auto", "--delay", "0", "--serial", Card1.ToString(System.Globalization.CultureInfo.InvariantCulture));
        // Until pcscd and the daemon have seen it come back, the key is unavailable; nothing else is acceptable.
        RpcException? last = null;
        await WaitFor(async () =>
        {
            (_, last) = await Collect(client.Custody.SignJson(SignRequest("ssk1", Identities.SignedDevice(User, "ALICEDESK", _device, null))));
            Assert.True(last is null || last.StatusCode == StatusCode.Unavailable, last?.ToString());
            return last is null;
        }, "card 1 signing again after reinsertion");
        var outcomes = ReadAudit(_d).Where(r => r.GetString("key") == "ssk1" && r.GetString("kind") == "outcome").Select(r => r.GetString("outcome")).ToList();
        Assert.Equal("tokenremoved", outcomes.First());
        Assert.Equal("signed", outcomes.Last());
    }

    private Process HwSim(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Binaries.HwSim);
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        var p = Process.Start(start)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private void Control(params string[] arguments)
    {
        using var p = HwSim([arguments[0], "--control", _control, .. arguments[1..]]);
        Assert.True(p.WaitForExit((int)Patience.TotalMilliseconds), "keycustody-hwsim " + arguments[0] + " did not finish");
        Assert.Equal(0, p.ExitCode);
    }

    /// <summary>The card's own word (the control socket's status line, hw-sim/README.md "Control surface").</summary>
    private bool WaitingForTouch(uint serial)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(_control));
        socket.Send(Encoding.UTF8.GetBytes($"status serial={serial}\n"));
        using var received = new MemoryStream();
        var chunk = new byte[4096];
        int n;
        while ((n = socket.Receive(chunk)) > 0)
        {
            received.Write(chunk, 0, n);
        }

        using var status = JsonDocument.Parse(received.ToArray());
        return status.RootElement.GetProperty("cards").EnumerateArray().Single().GetProperty("waiting_for_touch").GetBoolean();
    }

    private static Task WaitFor(Func<bool> condition, string what) => WaitFor(() => Task.FromResult(condition()), what);

    private static async Task WaitFor(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {Patience.TotalSeconds} s for {what}");
            }

            await Task.Delay(200);
        }
    }
}
