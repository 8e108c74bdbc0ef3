using KeyCustody.HwSim.Tests.Support;

namespace KeyCustody.HwSim.Tests.Pcsc;

/// <summary>
/// ykman 4.0.9's device commands against the simulator's management applet: info, list, config. The card sits in vpcd
/// slot 0, where `ykman list` can see it (<see cref="Ykman.WithoutReader"/>).
/// </summary>
[Collection(PcscdCollection.Name)]
public sealed class YkmanDeviceTests : CardBehindPcscd
{
    private const string LockCode = "0102030405060708090a0b0c0d0e0f10";
    private const string ApplicationNotAvailable = "The functionality required for this command is not enabled or not available on this YubiKey.";
    private readonly CommandLineTool _ykman;

    public YkmanDeviceTests(PcscdFixture fixture)
        : base(fixture, TestCards.Create(serial: 5550011), slot: 0)
    {
        _ykman = Ykman.OnSlot(Pcscd, Slot, Work);
    }

    [Fact]
    public void Info_and_list_read_the_device_info()
    {
        var info = _ykman.Run("info");
        Assert.Contains("Device type: YubiKey 5 NFC", info);
        Assert.Contains("Serial number: 5550011", info);
        Assert.Contains("Firmware version: 5.7.1", info);
        Assert.Contains("Form factor: Keychain (USB-A)", info);
        Assert.Contains("Enabled USB interfaces: OTP, FIDO, CCID", info);
        Assert.Matches(@"PIV\s+Enabled\s+Enabled", info);
        Assert.Contains("YubiKey 5 NFC (5.7.1) [OTP+FIDO+CCID] Serial: 5550011", Ykman.WithoutReader(Pcscd, Work).Run("list"));
    }

    [Fact]
    public void Config_usb_and_nfc_disable_and_enable_applications()
    {
        _ykman.Run("config", "usb", "--disable", "OATH", "--force");
        _ykman.Run("config", "nfc", "--disable", "OTP", "--force");
        Assert.DoesNotContain("OATH", _ykman.Run("config", "usb", "--list"));
        Assert.DoesNotContain("OTP", _ykman.Run("config", "nfc", "--list"));
        Assert.Matches(@"OATH\s+Disabled\s+Enabled", _ykman.Run("info"));

        _ykman.Run("config", "usb", "--disable", "PIV", "--force");
        Assert.Matches(@"PIV\s+Disabled\s+Enabled", _ykman.Run("info"));
        Assert.Contains(ApplicationNotAvailable, _ykman.RunFailing("piv", "info"));
        _ykman.Run("config", "usb", "--enable", "PIV", "--enable", "OATH", "--force");
        Assert.Contains("PIV version: 5.7.1", _ykman.Run("piv", "info"));
    }

    [Fact]
    public void A_lock_code_guards_the_configuration()
    {
        _ykman.Run("config", "set-lock-code", "--new-lock-code", LockCode, "--force");
        Assert.Contains("Configuration is locked", _ykman.RunFailing("config", "usb", "--disable", "OATH", "--force"));
        _ykman.Run("config", "usb", "--disable", "OATH", "--force", "--lock-code", LockCode);
        _ykman.Run("config", "set-lock-code", "--lock-code", LockCode, "--clear", "--force");
        _ykman.Run("config", "usb", "--enable", "OATH", "--force");
        Assert.Matches(@"OATH\s+Enabled", _ykman.Run("info"));
    }

    [Fact]
    public void Config_mode_ccid_leaves_the_smart_card_applications()
    {
        Assert.Contains("Mode set!", _ykman.Run("config", "mode", "CCID", "--force"));
        // The interfaces line comes from the reader name (the USB PID), which pcscd keeps: the applications table tells.
        var info = _ykman.Run("info");
        Assert.Matches(@"OTP\s+Disabled\s+Enabled", info);
        Assert.Matches(@"FIDO2\s+Disabled\s+Enabled", info);
        Assert.Matches(@"PIV\s+Enabled\s+Enabled", info);
        Assert.Contains("PIV version: 5.7.1", _ykman.Run("piv", "info"));
    }
}
