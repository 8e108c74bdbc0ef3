using KeyCustody.Tokens.Tests.Pkcs11.FakeModule;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// Ids match only exactly, as labels do (LabelMatchingTests): the lying fake (fake_pkcs11.c, mode "ids") compares
/// CKA_IDs as C strings, so a search for the id 01 also answers with the object whose id is 01 00 ee. The honest side
/// (keys named by id, halves paired by id) runs against SoftHSM2 in PairedByIdTests.
/// </summary>
public sealed class IdMatchingTests
{
    /// <summary>No object has the id 01: the pair with the id 01 00 ee that the fake answers is not taken for it.</summary>
    [Fact]
    public void An_id_search_keeps_only_objects_with_exactly_that_id()
    {
        using var token = FakePkcs11.Open(FakePkcs11.Module("ids"));

        Assert.Throws<KeyNotFoundOnTokenException>(() => token.GetKey("id:01"));
        Assert.Equal(FakePkcs11.EcPoint[2..], token.GetKey("id:03").PublicKey);
        Assert.Equal(FakePkcs11.EcPoint[2..], token.GetKey("id:0100ee").PublicKey);
    }

    /// <summary>
    /// The private key "lonely" (id 05) has no public half; the fake answers the partner search with the public key
    /// whose id is 05 00 ee, which is another key's and is not taken for its other half.
    /// </summary>
    [Fact]
    public void The_other_half_is_the_object_with_exactly_the_same_id()
    {
        using var token = FakePkcs11.Open(FakePkcs11.Module("ids"));

        var error = Assert.Throws<KeyNotFoundOnTokenException>(() => token.GetKey("lonely"));

        Assert.Contains("its private key is there, but no public key has its CKA_ID", error.Message, StringComparison.Ordinal);
        Assert.Equal(FakePkcs11.EcPoint[2..], token.GetKey("ok").PublicKey);
        Assert.Equal(FakePkcs11.EcPoint[2..], token.GetKey("evil").PublicKey);
    }
}
