using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary>
/// The whole path with a real daemon on simulated YubiKeys: <c>publish --user</c> takes the upload body from the
/// daemon, and <c>cross-sign device|user --upload</c> sends what the daemon signed to the test homeserver.
/// </summary>
public sealed class CrossSignUploadTests : IClassFixture<SimulatorDaemon>, IDisposable
{
    private const string Demo = SimulatorDaemon.User;
    private const string Bob = "@bob:example.org";
    private const string Token = "syt_demo_cross_sign_token";

    private readonly SimulatorDaemon _daemon;
    private readonly TestHomeserver _hs = new();
    private readonly TestFiles _files = new();
    private readonly Ed25519SoftwareKey _phone = Ed25519SoftwareKey.Generate();
    private readonly SoftwareIdentity _bob = new(Bob);
    private readonly JsonObject _device;
    private readonly string _tokenFile;

    public CrossSignUploadTests(SimulatorDaemon daemon)
    {
        _daemon = daemon;
        _hs.AddUser(Demo, Token, "unused");
        _device = Identities.SignedDevice(Demo, "DEMOPHONE", _phone, null);
        _hs.AddDevice(_device);
        _bob.StoreOn(_hs);
        _tokenFile = _files.Secret("token", Token);
    }

    public void Dispose()
    {
        _hs.Dispose();
        _files.Dispose();
        _phone.Dispose();
        _bob.Dispose();
    }

    private string[] Upload(params string[] command) =>
        ["--socket", _daemon.Socket, .. command, "--upload", "--homeserver", _hs.Url, "--access-token-file", _tokenFile];

    private Ed25519PublicKey DaemonKey(string name) => Ed25519PublicKey.FromBase64(_daemon.PublicKeys[name]);

    [Fact]
    public void The_daemons_keys_are_published_and_its_signatures_on_a_device_and_on_another_user_are_accepted()
    {
        var publish = Cli.Run([], "--socket", _daemon.Socket, "publish", "--user", Demo, "--homeserver", _hs.Url, "--access-token-file", _tokenFile);
        Assert.True(publish.ExitCode == 0, publish.Stderr);
        Assert.Equal(_daemon.PublicKeys["demo-master"], CrossSigningKey.Parse(_hs.CrossSigningKey(Demo, "master")!, KeyUsage.Master).PublicKey.Base64);
        Assert.True(CrossSigningKey.Parse(_hs.CrossSigningKey(Demo, "self_signing")!, KeyUsage.SelfSigning).VerifySignedBy(Demo, DaemonKey("demo-master")).IsValid);

        var device = Cli.Run([], Upload("cross-sign", "device", "--key", "demo-ssk", _files.Json("device.json", _device)));
        Assert.True(device.ExitCode == 0, device.Stderr);
        Assert.Equal($"{Demo} DEMOPHONE: accepted\n", device.Out);
        Assert.Contains(device.ErrLines, l => l.StartsWith("touch your YubiKey (serial 10000002)", StringComparison.Ordinal));
        Assert.True(DeviceKeys.Parse(_hs.Device(Demo, "DEMOPHONE")!).VerifySignedBy(DaemonKey("demo-ssk")).IsValid);

        var user = Cli.Run([], Upload("--json", "cross-sign", "user", "--key", "demo-usk", _files.Json("bob.json", _bob.MasterJson)));
        Assert.True(user.ExitCode == 0, user.Stderr);
        var report = CanonicalJson.ParseObject(user.Stdout);
        Assert.Equal(JsonBoolean.True, report["ok"]);
        Assert.Equal(
            new JsonArray(JsonObject.Of(("user_id", Bob), ("key", _bob.Master.PublicKey.Base64), ("accepted", true))),
            report["results"]);
        Assert.True(SignedJson.Verify(_hs.CrossSigningKey(Bob, "master")!, Demo, DaemonKey("demo-usk").KeyId, DaemonKey("demo-usk")).IsValid);
    }

    [Fact]
    public void A_signature_the_homeserver_cannot_check_against_its_self_signing_key_is_refused_for_that_key()
    {
        // The homeserver holds another identity for @demo:localhost, so the daemon's self-signing key is not the one it checks.
        using var other = new SoftwareIdentity(Demo);
        other.StoreOn(_hs);

        var r = Cli.Run([], Upload("cross-sign", "device", "--key", "demo-ssk", _files.Json("device.json", _device)));

        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"{Demo} DEMOPHONE: refused: 400 M_INVALID_SIGNATURE: 400: Invalid signature\n", r.Out);
        Assert.Equal("error: the homeserver refused 1 of 1 signed objects", r.ErrLines[^1]);
        Assert.Equal(_device, _hs.Device(Demo, "DEMOPHONE"));
    }

    [Fact]
    public void Upload_options_are_checked_before_the_daemon_is_asked_to_sign()
    {
        var loose = _files.Secret("loose", Token, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var r = Cli.Run([], "--socket", _daemon.Socket, "cross-sign", "device", "--key", "demo-ssk", _files.Json("device.json", _device), "--upload", "--homeserver", _hs.Url, "--access-token-file", loose);
        Cli.AssertBadInput(r, "is open to other users");

        var without = Cli.Run([], "--socket", _daemon.Socket, "cross-sign", "device", "--key", "demo-ssk", _files.Json("device.json", _device), "--homeserver", _hs.Url);
        Cli.AssertBadInput(without, "--homeserver and --access-token-file go with --upload");
        Assert.Empty(_hs.Requests);
    }

    [Fact]
    public void Without_upload_the_body_is_printed_as_before()
    {
        var r = Cli.Run([], "--socket", _daemon.Socket, "cross-sign", "device", "--key", "demo-ssk", _files.Json("device.json", _device));
        Assert.True(r.ExitCode == 0, r.Stderr);
        var body = CanonicalJson.ParseObject(r.Stdout);
        Assert.True(DeviceKeys.Parse(body.GetObject(Demo)!.GetObject("DEMOPHONE")!).VerifySignedBy(DaemonKey("demo-ssk")).IsValid);
        Assert.Empty(_hs.Requests);
    }
}
