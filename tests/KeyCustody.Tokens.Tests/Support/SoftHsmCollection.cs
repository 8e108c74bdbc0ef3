namespace KeyCustody.Tokens.Tests.Support;

/// <summary>
/// SoftHSM2 reads its token directory at C_Initialize and does not see tokens softhsm2-util creates later. The
/// tests that create tokens therefore run one after another and close every token they open, so the module is
/// finalised in between and the next Open initialises it again and finds the new token.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SoftHsmCollection
{
    public const string Name = "softhsm2";
}
