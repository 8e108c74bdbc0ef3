using KeyCustody.Tests.Shared;
using KeyCustody.Tokens.Pkcs11;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>
/// This test process's SoftHSM2 (tests/Shared/SoftHsmTokens.cs): one temporary configuration, exported to the native
/// environment before the module is first loaded, and tokens with unique labels, created per test.
/// </summary>
internal static class SoftHsm
{
    public const string Module = SoftHsmTokens.Module;
    public const string UserPin = SoftHsmTokens.UserPin;

    private static readonly Lazy<SoftHsmTokens> Shared = new(() =>
    {
        var tokens = new SoftHsmTokens(Directory.CreateTempSubdirectory("tokens-softhsm-").FullName);
        tokens.ExportToThisProcess();
        return tokens;
    });

    public static SoftHsmTokens Tokens => Shared.Value;

    /// <summary>Creates a token (a unique label unless one is given) and returns its label.</summary>
    public static string CreateToken(string? label = null) => Tokens.CreateToken(label ?? "t-" + Guid.NewGuid().ToString("N")[..12]);

    public static void DeleteToken(string label) => Tokens.DeleteToken(label);

    public static Pkcs11Token Open(string label, int? poolSize = null)
    {
        _ = Tokens;
        return Pkcs11Token.Open(new Pkcs11TokenOptions { ModulePath = Module, TokenLabel = label, PoolSize = poolSize });
    }
}
