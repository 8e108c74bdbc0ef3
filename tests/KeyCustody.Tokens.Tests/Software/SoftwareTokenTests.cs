using KeyCustody.Tokens.Software;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Software;

/// <summary>The development token: seed files 0600, not hardware-backed, signatures verified.</summary>
public sealed class SoftwareTokenTests : IDisposable
{
    private static readonly byte[] Message = "{\"a\":1}"u8.ToArray();
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tokens-sw-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Generates_a_0600_seed_in_a_0700_directory_and_signs_verified()
    {
        using var token = SoftwareToken.Open(_directory);
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("master"), TokenInteraction.None);
        var file = Path.Combine(_directory, "master.ed25519");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_directory));
        Assert.Equal(32, new FileInfo(file).Length);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));

        var signature = await token.SignAsync("master", Message, TokenInteraction.None);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, signature));
    }

    [Fact]
    public async Task Checks_the_signature_against_the_callers_pinned_key_when_given()
    {
        using var token = SoftwareToken.Open(_directory);
        var key = await token.GenerateKeyAsync(new KeyGenerationRequest("ssk"), TokenInteraction.None);
        var other = await token.GenerateKeyAsync(new KeyGenerationRequest("usk"), TokenInteraction.None);
        Assert.True(Ed25519Oracle.Verifies(key.PublicKey, Message, await token.SignAsync("ssk", Message, TokenInteraction.None, key.PublicKey.ToArray())));
        var e = await Assert.ThrowsAsync<TokenException>(() => token.SignAsync("ssk", Message, TokenInteraction.None, other.PublicKey.ToArray()));
        Assert.Equal(TokenErrorKind.SignatureInvalid, e.Kind);

        // A caller that reuses one buffer for another key is checked against what the buffer holds now, not a cached key.
        var buffer = key.PublicKey.ToArray();
        await token.SignAsync("ssk", Message, TokenInteraction.None, buffer);
        other.PublicKey.CopyTo(buffer, 0);
        await Assert.ThrowsAsync<TokenException>(() => token.SignAsync("ssk", Message, TokenInteraction.None, buffer));
        key.PublicKey.CopyTo(buffer, 0);
        await token.SignAsync("ssk", Message, TokenInteraction.None, buffer);
    }

    [Fact]
    public async Task Says_it_is_not_hardware_and_cannot_attest()
    {
        using var token = SoftwareToken.Open(_directory);
        await token.GenerateKeyAsync(new KeyGenerationRequest("k"), TokenInteraction.None);
        Assert.False(token.IsHardwareBacked);
        var status = token.GetStatus();
        Assert.False(status.IsHardwareBacked);
        Assert.Equal("software", status.Kind);
        Assert.Contains("development only", status.Description, StringComparison.Ordinal);
        Assert.Throws<NotSupportedByTokenException>(() => token.Attest("k"));
    }

    [Fact]
    public async Task Keys_survive_reopening_and_are_listed()
    {
        byte[] publicKey;
        using (var token = SoftwareToken.Open(_directory))
        {
            publicKey = (await token.GenerateKeyAsync(new KeyGenerationRequest("ssk"), TokenInteraction.None)).PublicKey;
            await token.GenerateKeyAsync(new KeyGenerationRequest("usk"), TokenInteraction.None);
        }

        using var reopened = SoftwareToken.Open(_directory);
        Assert.Equal(["ssk", "usk"], reopened.ListKeys().Select(key => key.Id));
        Assert.Equal(publicKey, reopened.GetKey("ssk").PublicKey);
        Assert.True(Ed25519Oracle.Verifies(publicKey, Message, await reopened.SignAsync("ssk", Message, TokenInteraction.None)));
    }

    [Fact]
    public async Task Refuses_overwrite_pin_and_touch_policies_and_bad_names()
    {
        using var token = SoftwareToken.Open(_directory);
        var first = await token.GenerateKeyAsync(new KeyGenerationRequest("k"), TokenInteraction.None);
        await Assert.ThrowsAsync<KeyExistsException>(() => token.GenerateKeyAsync(new KeyGenerationRequest("k"), TokenInteraction.None));
        Assert.Equal(first.PublicKey, token.GetKey("k").PublicKey);
        var replaced = await token.GenerateKeyAsync(new KeyGenerationRequest("k") { Overwrite = true }, TokenInteraction.None);
        Assert.NotEqual(first.PublicKey, replaced.PublicKey);
        Assert.Equal(replaced.PublicKey, token.GetKey("k").PublicKey);

        await Assert.ThrowsAsync<NotSupportedByTokenException>(() => token.GenerateKeyAsync(new KeyGenerationRequest("p", PinPolicy.Always), TokenInteraction.None));
        await Assert.ThrowsAsync<NotSupportedByTokenException>(() => token.GenerateKeyAsync(new KeyGenerationRequest("t", TouchPolicy: TouchPolicy.Always), TokenInteraction.None));
        await Assert.ThrowsAsync<ArgumentException>(() => token.GenerateKeyAsync(new KeyGenerationRequest("../escape"), TokenInteraction.None));
        Assert.Throws<KeyNotFoundOnTokenException>(() => token.GetKey("absent"));
    }

    [Fact]
    public async Task A_damaged_key_file_is_a_clear_error()
    {
        Directory.CreateDirectory(_directory);
        await File.WriteAllBytesAsync(Path.Combine(_directory, "bad.ed25519"), new byte[31]);
        using var token = SoftwareToken.Open(_directory);
        var error = await Assert.ThrowsAsync<DeviceErrorException>(() => token.SignAsync("bad", Message, TokenInteraction.None));
        Assert.Contains("32-byte", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
