using KeyCustody.Tokens.Pkcs11.Native;
using KeyCustody.Tokens.Tests.Pkcs11.FakeModule;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// C_GetAttributeValue's lengths are checked, not believed (PKCS#11 3.0's five cases): a length beyond reason, or longer
/// than the buffer given, is a device error naming the module; CK_UNAVAILABLE_INFORMATION is the answer it says it is.
/// The module is our lying fake (fake_pkcs11.c), below the binding's seam; the honest side is BindingTests (SoftHSM2).
/// </summary>
public sealed class MisbehavingAttributeTests
{
    /// <summary>
    /// 2^62 bytes for CKA_ID and CKA_LABEL (calloc fails: an OutOfMemoryException), or ~0UL - 1 and 18 bytes, whose sum
    /// wraps to 16 (a 16-byte buffer, and a second value placed 2 bytes before it). The key listing reads both at once.
    /// </summary>
    [Theory]
    [InlineData("attr_huge")]
    [InlineData("attr_wrap")]
    public void An_announced_attribute_length_beyond_reason_is_refused_naming_the_module(string mode)
    {
        var module = FakePkcs11.Module(mode);
        using var token = FakePkcs11.Open(module);

        var error = Assert.Throws<DeviceErrorException>(() => token.ListKeys());

        Assert.Contains($"the PKCS#11 module {module} announced", error.Message, StringComparison.Ordinal);
        Assert.Contains("(at most 65536 are read)", error.Message, StringComparison.Ordinal);
        Assert.Equal("bad C_GetAttributeValue answer", error.Code);
    }

    /// <summary>The second call says the value is longer than the buffer it was given: no shortened value is taken.</summary>
    [Fact]
    public void A_value_answered_longer_than_its_buffer_is_refused()
    {
        var module = FakePkcs11.Module("attr_grow");
        using var token = FakePkcs11.Open(module);

        var error = Assert.Throws<DeviceErrorException>(() => token.GetKey("ok"));

        Assert.Contains($"the PKCS#11 module {module} answered 4096 bytes for attribute 0x181", error.Message, StringComparison.Ordinal);
        Assert.Contains("into the 34 it had announced", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The value is read where we put it, not from wherever the module points pValue afterwards.</summary>
    [Fact]
    public void A_value_is_read_from_our_buffer_not_from_where_the_module_points()
    {
        FakePkcs11.WithSession("attr_repoint", session => Assert.Equal(FakePkcs11.EcPoint, session.GetAttributeValue(1, [CKA.CKA_EC_POINT])[0].Value));
    }

    /// <summary>
    /// CK_UNAVAILABLE_INFORMATION in the first answer (PKCS#11 C_GetAttributeValue cases 1 and 2) is the answer: a
    /// length the second call gives for it is not an empty value.
    /// </summary>
    [Fact]
    public void An_attribute_unavailable_in_the_first_answer_stays_unavailable()
    {
        FakePkcs11.WithSession("attr_flip", session => Assert.True(session.GetAttributeValue(1, [CKA.CKA_LABEL])[0].CannotBeRead));
    }
}
