using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Software;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Piv;

/// <summary>
/// Importing an Ed25519 seed (master-key backups): the RFC 8032 test vector 1 seed goes into two cards and a
/// software token; each reports the vector's public key, signs verifiably, reports the key as imported, and the
/// cards refuse to attest it (a card only attests keys it generated).
/// </summary>
public sealed class ImportTests : IDisposable
{
    private static readonly byte[] Rfc8032Seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    private static readonly byte[] Rfc8032Public = Convert.FromHexString("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    private readonly InProcessRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public async Task The_same_seed_in_two_cards_gives_the_same_key_reported_as_imported_and_not_attested()
    {
        _rig.Insert(70000001);
        _rig.Insert(70000002);
        var prompts = new Prompts();
        foreach (var serial in new uint[] { 70000001, 70000002 })
        {
            using var token = PivToken.Open(_rig.Readers, serial);
            using var seed = Secret.Copy(Rfc8032Seed);
            var key = await token.ImportKeyAsync(new KeyGenerationRequest("9c", PinPolicy.Never, TouchPolicy.Never), seed, prompts.With(null));
            Assert.Equal(Rfc8032Public, key.PublicKey);
            Assert.Equal(KeyOrigin.Imported, key.Origin);
            Assert.Equal(KeyOrigin.Imported, token.GetKey("9c").Origin);

            var message = "backup"u8.ToArray();
            var signature = await token.SignAsync("9c", message, prompts.With(null));
            Assert.True(Ed25519Oracle.Verifies(Rfc8032Public, message, signature));
            Assert.ThrowsAny<TokenException>(() => token.Attest("9c"));

            using var again = Secret.Copy(Rfc8032Seed);
            await Assert.ThrowsAsync<KeyExistsException>(() => token.ImportKeyAsync(new KeyGenerationRequest("9c"), again, prompts.With(null)));
        }
    }

    [Fact]
    public async Task A_software_token_imports_a_seed_into_a_0600_file()
    {
        var dir = Directory.CreateTempSubdirectory("import-soft-").FullName;
        try
        {
            using var token = SoftwareToken.Open(dir);
            using var seed = Secret.Copy(Rfc8032Seed);
            var key = await token.ImportKeyAsync(new KeyGenerationRequest("backup"), seed, TokenInteraction.None);
            Assert.Equal(Rfc8032Public, key.PublicKey);
            var signature = await token.SignAsync("backup", "x"u8.ToArray(), TokenInteraction.None);
            Assert.True(Ed25519Oracle.Verifies(Rfc8032Public, "x"u8.ToArray(), signature));
            Assert.All(Directory.GetFiles(dir), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
