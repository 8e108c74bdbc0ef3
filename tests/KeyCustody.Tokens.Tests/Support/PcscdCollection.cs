using KeyCustody.Tests.Shared;

namespace KeyCustody.Tokens.Tests.Support;

/// <summary>
/// This assembly's private pcscd (tests/Shared/PrivatePcscd.cs), one for the whole run. xunit needs a public fixture
/// type, so this thin owner holds the internal shared one; our libpcsclite reaches it through the native environment,
/// set before the first PC/SC call of this process.
/// </summary>
public sealed class PcscdFixture : IDisposable
{
    public PcscdFixture()
    {
        Pcscd = new PrivatePcscd("tokens-pcscd-");
        Pcscd.ExportToThisProcess();
    }

    internal PrivatePcscd Pcscd { get; }

    public void Dispose() => Pcscd.Dispose();
}

/// <summary>Every test that uses this assembly's private pcscd; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PcscdCollection : ICollectionFixture<PcscdFixture>
{
    public const string Name = "tokens-pcscd";
}
