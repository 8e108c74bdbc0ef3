using KeyCustody.Tokens.Pcsc;
using KeyCustody.Tokens.Pkcs11;
using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Tests.Errors;

/// <summary>PC/SC and PKCS#11 return codes become domain errors with a message a person can act on.</summary>
public sealed class MiddlewareErrorsTests
{
    [Theory]
    [InlineData(0x80100069u)]
    [InlineData(0x80100068u)]
    [InlineData(0x8010000Cu)]
    [InlineData(0x80100017u)]
    public void Removal_codes_are_token_removed(uint code)
    {
        var error = Assert.IsType<TokenRemovedException>(PcscErrors.ToError(code, "YubiKey 1", "SCardTransmit"));
        Assert.Contains("Reinsert", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_pcscd_says_to_start_it()
    {
        var error = Assert.IsType<DeviceErrorException>(PcscErrors.ToError(0x8010001D, "pcscd", "establishing a PC/SC context"));
        Assert.Equal("SCARD_E_NO_SERVICE", error.Code);
        Assert.Contains("start pcscd", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exclusive_use_by_another_program_is_named()
    {
        var error = Assert.IsType<DeviceErrorException>(PcscErrors.ToError(0x8010000B, "YubiKey 1", "SCardConnect"));
        Assert.Contains("another program", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_codes_keep_the_raw_value()
    {
        var error = Assert.IsType<DeviceErrorException>(PcscErrors.ToError(0x80100099, "YubiKey 1", "SCardTransmit"));
        Assert.Equal("PC/SC 0x80100099", error.Code);
    }

    [Theory]
    [InlineData((ulong)CKR.CKR_PIN_INCORRECT, typeof(PinIncorrectException))]
    [InlineData((ulong)CKR.CKR_PIN_LOCKED, typeof(PinBlockedException))]
    [InlineData((ulong)CKR.CKR_PIN_LEN_RANGE, typeof(PinFormatInvalidException))]
    [InlineData((ulong)CKR.CKR_USER_NOT_LOGGED_IN, typeof(PinRequiredException))]
    [InlineData((ulong)CKR.CKR_DEVICE_REMOVED, typeof(TokenRemovedException))]
    [InlineData((ulong)CKR.CKR_TOKEN_NOT_PRESENT, typeof(TokenRemovedException))]
    [InlineData((ulong)CKR.CKR_SESSION_HANDLE_INVALID, typeof(TokenRemovedException))]
    [InlineData((ulong)CKR.CKR_MECHANISM_INVALID, typeof(NotSupportedByTokenException))]
    [InlineData((ulong)CKR.CKR_FUNCTION_CANCELED, typeof(TokenOperationCancelledException))]
    [InlineData((ulong)CKR.CKR_GENERAL_ERROR, typeof(DeviceErrorException))]
    public void Ckr_codes_map_to_domain_errors(ulong rv, Type expected)
    {
        var error = Pkcs11Errors.ToError((CKR)rv, "PKCS#11 \"t\" (1)", "C_Sign");
        Assert.IsType(expected, error);
        Assert.Contains("PKCS#11 \"t\" (1)", error.Message, StringComparison.Ordinal);
    }
}
