using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using Xunit;

namespace KeyCustody.Cli.Tests.Publishing;

/// <summary><c>keycustody publish --body</c> against the test homeserver: first upload, re-upload, replacement with UIA, refusals.</summary>
public sealed class PublishCommandTests : IDisposable
{
    private const string Alice = "@alice:example.org";
    private const string Token = "syt_YWxpY2U_secret_token_value";
    private const string Password = "correct \"horse\" battery\\staple ünïcode";

    private readonly TestHomeserver _hs = new();
    private readonly TestFiles _files = new();
    private readonly SoftwareIdentity _alice = new(Alice);
    private readonly SoftwareIdentity _replacement = new(Alice);
    private readonly string _tokenFile;

    public PublishCommandTests()
    {
        _hs.AddUser(Alice, Token, Password);
        _tokenFile = _files.Secret("token", Token + "\n");
    }

    public void Dispose()
    {
        _hs.Dispose();
        _files.Dispose();
        _alice.Dispose();
        _replacement.Dispose();
    }

    private string[] Publish(JsonObject body, params string[] more) =>
        ["publish", "--homeserver", _hs.Url, "--access-token-file", _tokenFile, "--body", _files.Json("body.json", body), .. more];

    private static void AssertNoSecrets(Cli.Result r)
    {
        Assert.DoesNotContain(Token, r.Out + r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("battery", r.Out + r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_first_upload_and_an_identical_retry_need_no_authentication()
    {
        var first = Cli.Run([], Publish(_alice.UploadBody));
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Equal($"published the cross-signing keys of {Alice} to {_hs.Url}/: master key {_alice.Master.PublicKey.Base64}, self-signing key {_alice.SelfSigning.PublicKey.Base64}, user-signing key {_alice.UserSigning.PublicKey.Base64}\n", first.Out);
        Assert.Equal(_alice.SelfSigningJson, _hs.CrossSigningKey(Alice, "self_signing"));

        var again = Cli.Run([], Publish(_alice.UploadBody));
        Assert.Equal(0, again.ExitCode);

        var requests = _hs.RequestsTo("keys/device_signing/upload").ToList();
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal("Bearer " + Token, r.Authorization);
            Assert.Equal(string.Empty, r.Query);
            Assert.Equal(CanonicalJson.Encode(_alice.UploadBody), r.Body);
        });
        Assert.Empty(_hs.Sessions);
        AssertNoSecrets(first);
    }

    [Fact]
    public void Replacing_the_keys_answers_the_password_challenge_with_the_session()
    {
        _alice.StoreOn(_hs);
        var passwordFile = _files.Secret("password", Password + "\n");
        var r = Cli.Run([], Publish(_replacement.UploadBody, "--password-file", passwordFile, "--json"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertNoSecrets(r);

        var result = CanonicalJson.ParseObject(r.Stdout);
        Assert.Equal(JsonBoolean.True, result["ok"]);
        Assert.Equal(new JsonArray("m.login.password"), result["authentication"]);
        Assert.Equal(_replacement.Master.PublicKey.Base64, result.GetObject("keys")!.GetString("master_key"));

        var requests = _hs.RequestsTo("keys/device_signing/upload").ToList();
        Assert.Equal(2, requests.Count);
        Assert.False(requests[0].Json.ContainsKey("auth"));
        var auth = requests[1].Json.GetObject("auth")!;
        Assert.Equal(
            JsonObject.Of(
                ("type", "m.login.password"),
                ("identifier", JsonObject.Of(("type", "m.id.user"), ("user", Alice))),
                ("password", Password),
                ("session", _hs.Sessions.Single())),
            auth);
        Assert.Equal(_replacement.UploadBody, requests[1].Json.Without("auth"));
        Assert.Equal(_replacement.MasterJson, _hs.CrossSigningKey(Alice, "master"));
    }

    [Fact]
    public void A_wrong_password_from_a_file_is_reported_once_and_not_retried()
    {
        _alice.StoreOn(_hs);
        var r = Cli.Run([], Publish(_replacement.UploadBody, "--password-file", _files.Secret("password", "wrong battery")));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: the homeserver did not accept the password of {Alice} (M_FORBIDDEN: Invalid username or password)", Assert.Single(r.ErrLines));
        Assert.Equal(2, _hs.RequestsTo("keys/device_signing/upload").Count());
        Assert.Equal(_alice.MasterJson, _hs.CrossSigningKey(Alice, "master"));
        AssertNoSecrets(r);
    }

    [Fact]
    public void Without_a_terminal_or_a_password_file_the_password_challenge_says_what_to_give()
    {
        _alice.StoreOn(_hs);
        var r = Cli.Run([], Publish(_replacement.UploadBody));
        Cli.AssertBadInput(r, "give --password-file FILE");
    }

    [Fact]
    public async Task The_m_oauth_stage_shows_the_url_waits_for_Enter_and_retries_with_the_session()
    {
        _alice.StoreOn(_hs);
        _hs.Stage = UiaStage.OAuth;
        using var cli = new InteractiveCli(Publish(_replacement.UploadBody));
        var line = await cli.WaitForErrorLineAsync(l => l.Contains(_hs.Url + "/account/approve", StringComparison.Ordinal));

        // The person approves in their account management, then presses Enter.
        using (var browser = new HttpClient())
        {
            (await browser.GetAsync(new Uri(line.Trim()))).EnsureSuccessStatusCode();
        }

        cli.PressEnter();
        var (exit, stdout, stderr) = await cli.WaitAsync();
        Assert.True(exit == 0, stderr);
        Assert.Contains("(authenticated with m.oauth)", stdout, StringComparison.Ordinal);
        var requests = _hs.RequestsTo("keys/device_signing/upload").ToList();
        Assert.Equal(2, requests.Count);
        Assert.Equal(JsonObject.Of(("session", _hs.Sessions.Single())), requests[1].Json.GetObject("auth"));
        Assert.Equal(_replacement.MasterJson, _hs.CrossSigningKey(Alice, "master"));
    }

    [Fact]
    public void The_unstable_cross_signing_reset_stage_with_wait_seconds_for_scripts()
    {
        _alice.StoreOn(_hs);
        _hs.Stage = UiaStage.OAuthUnstable;
        _hs.ApproveOnIssue = true;
        var r = Cli.Run([], Publish(_replacement.UploadBody, "--wait-seconds", "0"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"  {_hs.Url}/account/approve?action=org.matrix.cross_signing_reset", r.ErrLines);
        Assert.Equal(JsonObject.Of(("session", "dummy")), _hs.RequestsTo("keys/device_signing/upload").Last().Json.GetObject("auth"));
        Assert.Equal(_replacement.MasterJson, _hs.CrossSigningKey(Alice, "master"));
    }

    [Fact]
    public void An_approval_that_never_came_is_reported_after_the_scripted_wait()
    {
        _alice.StoreOn(_hs);
        _hs.Stage = UiaStage.OAuth;
        var r = Cli.Run([], Publish(_replacement.UploadBody, "--wait-seconds", "0", "--json"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: the homeserver has not recorded the approval to replace the cross-signing keys of {Alice} (not completed)", r.ErrLines.Last());
        Assert.Single(r.ErrLines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        var result = CanonicalJson.ParseObject(r.Stdout);
        Assert.Equal(JsonBoolean.False, result["ok"]);
        Assert.Equal(_alice.MasterJson, _hs.CrossSigningKey(Alice, "master"));
    }

    [Fact]
    public void A_stage_keycustody_cannot_give_is_named()
    {
        _alice.StoreOn(_hs);
        _hs.Stage = UiaStage.Sso;
        var r = Cli.Run([], Publish(_replacement.UploadBody));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: the homeserver asks for authentication this command cannot give (flows: m.login.sso); it can give m.login.password and m.oauth", Assert.Single(r.ErrLines));
    }

    [Fact]
    public void A_wrong_access_token_is_reported_and_nothing_is_retried()
    {
        var wrong = _files.Secret("wrong-token", "syt_not_the_token");
        var r = Cli.Run([], "publish", "--homeserver", _hs.Url, "--access-token-file", wrong, "--body", _files.Json("body.json", _alice.UploadBody));
        Assert.Equal(1, r.ExitCode);
        Assert.Empty(r.Stdout);
        Assert.Equal("error: the homeserver refused the upload: 401 M_UNKNOWN_TOKEN: Invalid access token passed.", Assert.Single(r.ErrLines));
        Assert.Single(_hs.Requests);
        Assert.Null(_hs.CrossSigningKey(Alice, "master"));
        Assert.DoesNotContain("syt_not_the_token", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "0644")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupWrite, "0620")]
    public void A_token_file_open_to_other_users_is_refused_before_anything_is_sent(UnixFileMode mode, string octal)
    {
        var loose = _files.Secret("loose-token", Token, mode);
        var r = Cli.Run([], "publish", "--homeserver", _hs.Url, "--access-token-file", loose, "--body", _files.Json("body.json", _alice.UploadBody));
        Cli.AssertBadInput(r, $"--access-token-file {loose} is open to other users (mode {octal}); a file holding a secret must not be: chmod 600 {loose}");
        Assert.Empty(_hs.Requests);
    }

    [Fact]
    public void A_self_signing_key_the_master_key_did_not_sign_is_refused_before_sending()
    {
        using var stranger = new SoftwareIdentity(Alice);
        var body = _alice.UploadBody.With("self_signing_key", stranger.SelfSigningJson);
        var r = Cli.Run([], Publish(body));
        Cli.AssertBadInput(r, "the upload body: the self-signing key is not signed by master key " + _alice.Master.PublicKey.Base64);
        Assert.Empty(_hs.Requests);
    }

    [Fact]
    public void The_homeservers_M_INVALID_SIGNATURE_is_reported_when_it_checks_against_the_stored_master_key()
    {
        // Without a master key in the body only the homeserver can check the self-signing key: against the stored one.
        _alice.StoreOn(_hs);
        var body = JsonObject.Of(("self_signing_key", _replacement.SelfSigningJson));
        var r = Cli.Run([], Publish(body, "--password-file", _files.Secret("password", Password), "--json"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("error: the homeserver refused the upload: 400 M_INVALID_SIGNATURE: Invalid signature on self_signing key", Assert.Single(r.ErrLines));
        var result = CanonicalJson.ParseObject(r.Stdout);
        Assert.Equal("M_INVALID_SIGNATURE", result.GetString("errcode"));
        Assert.Equal(new JsonInteger(400), result["http_status"]);
        Assert.Equal(_alice.SelfSigningJson, _hs.CrossSigningKey(Alice, "self_signing"));
    }

    [Fact]
    public void An_unreachable_homeserver_is_unavailable()
    {
        string url;
        using (var gone = new TestHomeserver())
        {
            url = gone.Url;
        }

        var r = Cli.Run([], "publish", "--homeserver", url, "--access-token-file", _tokenFile, "--body", _files.Json("body.json", _alice.UploadBody));
        Assert.Equal(5, r.ExitCode);
        Assert.StartsWith($"error: cannot reach the homeserver at {url}/: ", Assert.Single(r.ErrLines), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://matrix.example.org", "--homeserver must use https://")]
    [InlineData("https://matrix.example.org/?access_token=x", "without a query")]
    [InlineData("matrix.example.org", "--homeserver must be an https:// URL")]
    public void Homeserver_urls_that_would_leak_the_token_or_are_not_urls_are_refused(string url, string message)
    {
        var r = Cli.Run([], "publish", "--homeserver", url, "--access-token-file", _tokenFile, "--body", _files.Json("body.json", _alice.UploadBody));
        Cli.AssertBadInput(r, message);
    }

    [Fact]
    public void Exactly_one_of_body_and_user()
    {
        Cli.AssertBadInput(Cli.Run([], "publish", "--homeserver", _hs.Url, "--access-token-file", _tokenFile), "give exactly one of --body FILE and --user ID");
    }

    [Fact]
    public void Signatures_in_the_body_still_verify_after_the_round_trip()
    {
        // The homeserver stores what was sent byte for byte; the self-signing key's signature by the master key still verifies.
        Assert.Equal(0, Cli.Run([], Publish(_alice.UploadBody)).ExitCode);
        var ssk = _hs.CrossSigningKey(Alice, "self_signing")!;
        Assert.True(SignedJson.Verify(ssk, Alice, _alice.Master.PublicKey.KeyId, _alice.Master.PublicKey).IsValid);
    }
}
