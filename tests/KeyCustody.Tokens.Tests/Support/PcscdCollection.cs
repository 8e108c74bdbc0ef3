namespace KeyCustody.Tokens.Tests.Support;

/// <summary>Every test that uses this assembly's private pcscd; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class PcscdCollection : ICollectionFixture<PrivatePcscd>
{
    public const string Name = "tokens-pcscd";
}
