using KeyCustody.Tokens.Tests.Pkcs11.FakeModule;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// C_FindObjects' counts are checked, not believed: more handles than asked for, or a search without end, is a device
/// error naming the module, and the search is still ended. The module is our lying fake (fake_pkcs11.c); the honest side
/// is BindingTests' search past one batch (SoftHSM2).
/// </summary>
public sealed class MisbehavingSearchTests
{
    /// <summary>A module that never says "no more" is stopped at the cap (the fake gives up at 1 000 000 handles).</summary>
    [Fact]
    public void A_search_without_end_is_cut_off_naming_the_module()
    {
        var module = FakePkcs11.Module("find_endless");
        using var token = FakePkcs11.Open(module);

        var error = Assert.Throws<DeviceErrorException>(() => token.ListKeys());

        Assert.Contains($"the PKCS#11 module {module} returned more than 100000 objects for one search", error.Message, StringComparison.Ordinal);
        Assert.Equal("bad C_FindObjects answer", error.Code);
    }

    /// <summary>More handles than the array holds: refused, and the search is still ended (the next one is not CKR_OPERATION_ACTIVE).</summary>
    [Fact]
    public void A_search_answering_more_handles_than_asked_is_refused_and_ended()
    {
        var module = FakePkcs11.Module("find_over");
        using var token = FakePkcs11.Open(module);

        for (int attempt = 0; attempt < 2; attempt++)
        {
            var error = Assert.Throws<DeviceErrorException>(() => token.GetKey("ok"));
            Assert.Contains($"the PKCS#11 module {module} returned 33 object handles when asked for at most 32", error.Message, StringComparison.Ordinal);
        }
    }
}
