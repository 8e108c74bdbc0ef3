using KeyCustody.Tests.Shared;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// The hw-sim tests' private pcscd (tests/Shared/PrivatePcscd.cs), one for the whole run. xunit needs a public fixture
/// type, so this thin owner holds the internal shared one. The in-test libpcsclite client (NativePcsc) reaches it
/// through the native environment; yubico-piv-tool children through their start info.
/// </summary>
public sealed class PcscdFixture : IDisposable
{
    public PcscdFixture()
    {
        if (!File.Exists("/usr/bin/yubico-piv-tool"))
        {
            throw new InvalidOperationException("/usr/bin/yubico-piv-tool is missing: run scripts/ensure-deps.sh (yubico-piv-tool)");
        }

        if (!File.Exists(Ykman.Program))
        {
            throw new InvalidOperationException(Ykman.Program + " is missing: run scripts/ensure-deps.sh (yubikey-manager)");
        }

        foreach (var (program, package) in new[] { ("/usr/bin/gpg", "gnupg"), ("/usr/lib/gnupg/scdaemon", "scdaemon"), ("/usr/bin/pkcs11-tool", "opensc") })
        {
            if (!File.Exists(program))
            {
                throw new InvalidOperationException($"{program} is missing: run scripts/ensure-deps.sh ({package})");
            }
        }

        Pcscd = new PrivatePcscd("hwsim-pcscd-");
        Pcscd.ExportToThisProcess();
    }

    internal PrivatePcscd Pcscd { get; }

    public void Dispose() => Pcscd.Dispose();
}

/// <summary>Every test that uses the private pcscd; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PcscdCollection : ICollectionFixture<PcscdFixture>
{
    public const string Name = "pcscd";
}
