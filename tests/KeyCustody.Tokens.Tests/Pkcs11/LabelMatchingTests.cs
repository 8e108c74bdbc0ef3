using KeyCustody.Tokens.Tests.Pkcs11.FakeModule;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// Labels match only exactly (Pkcs11Label): the lying fake (fake_pkcs11.c) compares them as C strings, as modules
/// written in C do, so the name "k" finds its object labelled "k\0evil" unless we check. The honest side (labels with
/// non-ASCII text, names by label and id) runs against SoftHSM2 in BindingTests and Pkcs11ConformanceTests.
/// </summary>
public sealed class LabelMatchingTests
{
    /// <summary>
    /// The fake answers the name "k" with the pair labelled "k\0evil" (its C-string compare): neither half is taken, as
    /// no other module would have given it. The honest key is still found by its label, the other by its id.
    /// </summary>
    [Fact]
    public void A_label_with_a_NUL_does_not_answer_to_the_shorter_name()
    {
        using var token = FakePkcs11.Open(FakePkcs11.Module("labels"));

        Assert.Throws<KeyNotFoundOnTokenException>(() => token.GetKey("k"));
        Assert.Throws<KeyNotFoundOnTokenException>(() => token.GetKey("label:k"));
        Assert.Equal(FakePkcs11.EcPoint[2..], token.GetKey("ok").PublicKey);
        Assert.Equal(FakePkcs11.EcPoint[2..], token.GetKey("id:01").PublicKey);
    }

    /// <summary>A name with a NUL, or a lone surrogate (no UTF-8 form: encoded, it would be U+FFFD, another label), is refused as such.</summary>
    [Fact]
    public void A_name_with_a_NUL_or_a_lone_surrogate_is_refused()
    {
        using var token = FakePkcs11.Open(FakePkcs11.Module("labels"));

        foreach (var name in (string[])["k\0evil", "label:k\0evil", "label:k\0"])
        {
            var error = Assert.Throws<NotSupportedByTokenException>(() => token.GetKey(name));
            Assert.Contains("cannot contain a NUL character", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("\0", error.Message, StringComparison.Ordinal);
        }

        Assert.Contains("lone surrogate", Assert.Throws<NotSupportedByTokenException>(() => token.GetKey("bad\uD800")).Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// A label with a NUL, or not UTF-8 ("bad\xff", which decoding turns into "bad\uFFFD", a name that finds nothing),
    /// names no key: both are listed by their CKA_ID.
    /// </summary>
    [Fact]
    public void A_label_with_a_NUL_or_not_UTF8_names_no_key()
    {
        using var token = FakePkcs11.Open(FakePkcs11.Module("labels"));

        Assert.Equal(["id:01", "id:02", "ok"], token.ListKeys().Select(key => key.Id));
    }
}
