using KeyCustody.Tokens.Tests.Pkcs11.FakeModule;

namespace KeyCustody.Tokens.Tests.Pkcs11;

/// <summary>
/// A module that really writes past the room it was given (one element, saying nothing of it) is refused: the binding
/// gives it guarded native memory with slack beyond the size passed (GuardedBuffer) and checks the slack after the call,
/// so the write lands there rather than in our heap or stack. The module is our lying fake (fake_pkcs11.c, modes
/// *_overrun); the honest side is every SoftHSM2 and ykcs11 test, and the fake's own honest signature here.
/// </summary>
public sealed class MemoryOverrunTests
{
    /// <summary>The fake signs every message with RFC 8032's first test signature, the empty message's.</summary>
    private static readonly byte[] EmptyMessageSignature = Convert.FromHexString(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");

    [Fact]
    public void A_slot_list_written_past_its_room_is_refused()
    {
        var module = FakePkcs11.Module("slots_overrun");

        var error = Assert.Throws<DeviceErrorException>(() => FakePkcs11.Open(module));

        Assert.Contains($"the PKCS#11 module {module} wrote more than the 1 slot ids it was given room for", error.Message, StringComparison.Ordinal);
        Assert.Equal("bad C_GetSlotList answer", error.Code);
    }

    [Fact]
    public void Object_handles_written_past_their_room_are_refused()
    {
        var module = FakePkcs11.Module("find_overrun");
        using var token = FakePkcs11.Open(module);

        var error = Assert.Throws<DeviceErrorException>(() => token.GetKey("ok"));

        Assert.Contains($"the PKCS#11 module {module} wrote more than the 32 object handles it was given room for", error.Message, StringComparison.Ordinal);
        Assert.Equal("bad C_FindObjects answer", error.Code);
    }

    [Fact]
    public void An_attribute_value_written_past_its_room_is_refused()
    {
        var module = FakePkcs11.Module("attr_overrun");
        using var token = FakePkcs11.Open(module);

        var error = Assert.Throws<DeviceErrorException>(() => token.GetKey("ok"));

        Assert.Contains($"the PKCS#11 module {module} wrote past the value of attribute 0x181 of object 1 (the room it was given)", error.Message, StringComparison.Ordinal);
        Assert.Equal("bad C_GetAttributeValue answer", error.Code);
    }

    /// <summary>The signature is refused before it is verified (the old code took it: it verifies), and the next signature too.</summary>
    [Fact]
    public async Task A_signature_written_past_its_room_is_refused()
    {
        var module = FakePkcs11.Module("sign_overrun");
        using var token = FakePkcs11.Open(module);

        for (int attempt = 0; attempt < 2; attempt++)
        {
            var error = await Assert.ThrowsAsync<DeviceErrorException>(() => token.SignAsync("ok", ReadOnlyMemory<byte>.Empty, TokenInteraction.None));
            Assert.Contains($"the PKCS#11 module {module} wrote past the 64 bytes it was given for the signature", error.Message, StringComparison.Ordinal);
            Assert.Equal("bad C_Sign answer", error.Code);
        }
    }

    /// <summary>The control: through the guarded buffer, the honest fake's signature comes back whole and verified.</summary>
    [Fact]
    public async Task An_honest_signature_comes_through_the_guarded_buffer()
    {
        using var token = FakePkcs11.Open(FakePkcs11.Module("honest"));

        Assert.Equal(EmptyMessageSignature, await token.SignAsync("ok", ReadOnlyMemory<byte>.Empty, TokenInteraction.None));
    }
}
