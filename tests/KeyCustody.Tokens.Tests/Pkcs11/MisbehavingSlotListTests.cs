using KeyCustody.Tokens.Tests.Pkcs11.FakeModule;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// C_GetSlotList's counts are checked, not believed: a count beyond reason, or more slots than the room given, is a
/// device error naming the module when the token is opened. The module is our lying fake (fake_pkcs11.c); the honest
/// side is every SoftHSM2 and ykcs11 test, which opens its token through C_GetSlotList.
/// </summary>
public sealed class MisbehavingSlotListTests
{
    /// <summary>2^40 slots: the old code allocated what the module said (an OverflowException for the array).</summary>
    [Fact]
    public void A_slot_count_beyond_reason_is_refused_naming_the_module()
    {
        var module = FakePkcs11.Module("slots_huge");

        var error = Assert.Throws<DeviceErrorException>(() => FakePkcs11.Open(module));

        Assert.Contains($"the PKCS#11 module {module} announced 1099511627776 slots (at most 1024 are read)", error.Message, StringComparison.Ordinal);
        Assert.Equal("bad C_GetSlotList answer", error.Code);
    }

    /// <summary>Five slots said written into room for one: the module wrote past our array, or lies; either way it is refused.</summary>
    [Fact]
    public void More_slots_than_the_room_given_are_refused()
    {
        var module = FakePkcs11.Module("slots_over");

        var error = Assert.Throws<DeviceErrorException>(() => FakePkcs11.Open(module));

        Assert.Contains($"the PKCS#11 module {module} answered 5 slots into room for 1", error.Message, StringComparison.Ordinal);
    }
}
