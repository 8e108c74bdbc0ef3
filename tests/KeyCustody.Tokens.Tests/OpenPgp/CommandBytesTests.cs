using KeyCustody.Tokens.OpenPgp;
using KeyCustody.Tokens.OpenPgp.Commands;
using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.OpenPgp;

/// <summary>
/// OpenPGP card commands and answers as pure bytes: the specification's encodings, checked against what a YubiKey 5.4.3
/// was sent and answered in cunicu/go-openpgp-card's traces (where that client sends the same command), GnuPG's
/// fingerprints and RFC 8032 verification of a real card's signature.
/// </summary>
public sealed class CommandBytesTests
{
    private static readonly OpenPgpErrorContext Context = new("OpenPGP card 23852774", "sig");

    private static ResponseApdu Response(string hex) => ResponseApdu.Parse(Hex.Parse(hex));

    [Fact]
    public void Select_and_get_data()
    {
        Assert.Equal("00 A4 04 00 06 D2 76 00 01 24 01", Hex.Format(SelectCommands.Select().EncodeShort()));
        Assert.Equal("00 CA 00 6E 00", Hex.Format(DataCommands.Get(0x006E).EncodeShort()));
        Assert.Equal("00 CA 7F 21 00", Hex.Format(DataCommands.Get(0x7F21).EncodeShort()));
        Assert.Equal("00 F1 00 00 00", Hex.Format(SelectCommands.GetVersion().EncodeShort()));
        Assert.Equal(new Version(5, 4, 3), SelectCommands.ParseVersion(Response("05 04 03 90 00")));
        Assert.Null(SelectCommands.ParseVersion(Response("6D 00")));
        Assert.Null(DataCommands.ParseGet(Response("6A 88"), 0x00F9, Context));
    }

    [Fact]
    public void Verify_bytes_are_the_pin_unpadded_as_in_the_trace()
    {
        Assert.Equal("00 20 00 81 06 31 32 33 34 35 36", Hex.Format(VerifyCommands.Verify(Password.Pw1Sign, "123456"u8).EncodeShort()));
        Assert.Equal("00 20 00 83 08 31 32 33 34 35 36 37 38", Hex.Format(VerifyCommands.Verify(Password.Pw3, "12345678"u8).EncodeShort()));
        Assert.Equal("00 20 00 82", Hex.Format(VerifyCommands.Status(Password.Pw1Other).EncodeShort()));
    }

    [Fact]
    public void A_verify_command_is_zeroed_after_it_is_sent()
    {
        var command = VerifyCommands.Verify(Password.Pw1Sign, "123456"u8);
        var channel = new KeyCustody.Tokens.OpenPgp.Apdu.PgpChannel(new ScriptedTransport("90 00"));
        channel.Transmit(command);
        Assert.All(command.Data, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData("90 00", true, false, null)]
    [InlineData("63 C2", false, false, 2)]
    [InlineData("63 C0", false, true, 0)]
    [InlineData("69 83", false, true, 0)]
    [InlineData("69 82", false, false, null)] // a YubiKey's wrong PIN: the attempts come from C4
    public void Verify_outcomes(string sw, bool accepted, bool blocked, int? retries)
    {
        Assert.Equal(new VerifyOutcome(accepted, blocked, retries), VerifyCommands.ParseVerify(Response(sw), Context));
    }

    [Fact]
    public void A_pin_the_card_calls_malformed_is_a_device_error()
    {
        // The trace's "wrong" (5 characters) got 6A80: a length the card refuses outright. Our format check stops it first.
        Assert.IsType<DeviceErrorException>(Record.Exception(() => VerifyCommands.ParseVerify(Response("6A 80"), Context)));
        Assert.NotNull(VerifyCommands.FormatProblem(Password.Pw1Sign, "wrong"u8, 127));
        Assert.NotNull(VerifyCommands.FormatProblem(Password.Pw3, "1234567"u8, 127));
        Assert.NotNull(VerifyCommands.FormatProblem(Password.Pw1Sign, "12345678"u8, 7));
        Assert.Null(VerifyCommands.FormatProblem(Password.Pw1Sign, "123456"u8, 127));
        Assert.Null(VerifyCommands.FormatProblem(Password.Pw3, "12345678"u8, 127));

        // The message names the card's limits, never the configured PIN's length (a secret's property).
        Assert.DoesNotContain("5", VerifyCommands.FormatProblem(Password.Pw1Sign, "wrong"u8, 127), StringComparison.Ordinal);
        Assert.DoesNotContain("8", VerifyCommands.FormatProblem(Password.Pw1Sign, "12345678"u8, 7), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90 00", true)]
    [InlineData("63 C3", false)]
    [InlineData("69 82", false)]
    [InlineData("69 83", false)]
    [InlineData("6A 80", null)] // a YubiKey 5.4.3 does not know the probe (OpenSC issue 2565)
    [InlineData("67 00", null)]
    public void Verify_status_probe(string sw, bool? verified) =>
        Assert.Equal(verified, VerifyCommands.ParseStatus(Response(sw)));

    [Fact]
    public void Put_algorithm_attributes_is_the_trace()
    {
        Assert.Equal(
            Hex.Format(Hex.Parse("00da00c10a162b06010401da470f01")),
            Hex.Format(DataCommands.Put(0x00C1, KeyCustody.Tokens.OpenPgp.Data.AlgorithmAttributes.Ed25519.Bytes).EncodeShort()));
        Assert.Equal(Hex.Format(Hex.Parse("00da00ce046563d4c4")), Hex.Format(DataCommands.Put(0x00CE, Hex.Parse("6563d4c4")).EncodeShort()));
    }

    [Fact]
    public void Generate_and_read_the_public_key()
    {
        Assert.Equal("00 47 80 00 02 B6 00 00", Hex.Format(KeyCommands.Generate(OpenPgpKeySlot.Signature).EncodeShort()));
        Assert.Equal("00 47 80 00 02 A4 00 00", Hex.Format(KeyCommands.Generate(OpenPgpKeySlot.Authentication).EncodeShort()));
        Assert.Equal("00 47 81 00 02 A4 00 00", Hex.Format(KeyCommands.ReadPublicKey(OpenPgpKeySlot.Authentication).EncodeShort()));
        Assert.Equal(
            Hex.Parse("17059f8580aeb7310fe84a05a743b34c9600c1ff6d5ce8934a1327c028bb6641"),
            KeyCommands.ParsePublicKey(Response(YubiKey543Trace.GenerateResponse + "9000"), "GENERATE", Context));
        var prefixed = "7f4923862140" + YubiKey543Trace.SignPublicKey + "9000";
        Assert.Equal(Hex.Parse(YubiKey543Trace.SignPublicKey), KeyCommands.ParsePublicKey(Response(prefixed), "GENERATE", Context));
        Assert.IsType<DeviceErrorException>(Record.Exception(() => KeyCommands.ParsePublicKey(Response("7f49038601009000"), "GENERATE", Context)));
    }

    [Fact]
    public void Import_is_the_extended_header_list_and_is_zeroed_after_sending()
    {
        var seed = Enumerable.Repeat((byte)0xAB, 32).ToArray();
        var command = KeyCommands.Import(OpenPgpKeySlot.Signature, seed);
        Assert.Equal(
            "00 DB 3F FF 2C 4D 2A B6 00 7F 48 02 92 20 5F 48 20 " + string.Join(' ', Enumerable.Repeat("AB", 32)),
            Hex.Format(command.EncodeShort()));
        Assert.True(command.Sensitive);
        new KeyCustody.Tokens.OpenPgp.Apdu.PgpChannel(new ScriptedTransport("90 00")).Transmit(command);
        Assert.All(command.Data, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Import_with_the_public_key_for_cards_that_want_it()
    {
        var seed = Enumerable.Repeat((byte)0xAB, 32).ToArray();
        var publicKey = Hex.Parse("248acbdbaf9e050196de704bea2d68770e519150d103b587dae2d9cad53dd930");
        Assert.Equal(
            "00 DB 3F FF 4F 4D 4D A4 00 7F 48 04 92 20 99 21 5F 48 41 " + string.Join(' ', Enumerable.Repeat("AB", 32)) + " 40 " + Hex.Format(publicKey),
            Hex.Format(KeyCommands.Import(OpenPgpKeySlot.Authentication, seed, publicKey).EncodeShort()));
        Assert.Equal("00 20 FF 81", Hex.Format(VerifyCommands.Reset(Password.Pw1Sign).EncodeShort()));
    }

    [Fact]
    public void The_ed25519_form_comes_from_the_cards_algorithm_information()
    {
        // The 5.4.3's FA lists Ed25519 for C1 without FF; opcard-rs lists it with FF (import with the public key).
        var yubiKey = Hex.Parse("C10A162B06010401DA470F01C30A162B06010401DA470F01");
        var opcard = Hex.Parse("C10B162B06010401DA470F01FFC30B162B06010401DA470F01FF");
        Assert.False(KeyCustody.Tokens.OpenPgp.Data.AlgorithmAttributes.Ed25519From(yubiKey, 0xC1)!.ImportsWithPublicKey);
        Assert.True(KeyCustody.Tokens.OpenPgp.Data.AlgorithmAttributes.Ed25519From(opcard, 0xC3)!.ImportsWithPublicKey);
        Assert.Null(KeyCustody.Tokens.OpenPgp.Data.AlgorithmAttributes.Ed25519From(Hex.Parse("C106010800001100"), 0xC1));

        // As the 5.4.3 answered GET DATA 00FA: the list inside FA.
        Assert.False(KeyCustody.Tokens.OpenPgp.Data.AlgorithmAttributes.Ed25519From(Hex.Parse("FA18" + Convert.ToHexString(yubiKey)), 0xC3)!.ImportsWithPublicKey);
    }

    [Fact]
    public void Sign_and_authenticate_carry_the_message_itself()
    {
        Assert.Equal("00 2A 9E 9A 05 68 65 6C 6C 6F 00", Hex.Format(SignCommands.Build(OpenPgpKeySlot.Signature, "hello"u8).EncodeShort()));
        Assert.Equal("00 88 00 00 05 68 65 6C 6C 6F 00", Hex.Format(SignCommands.Build(OpenPgpKeySlot.Authentication, "hello"u8).EncodeShort()));
    }

    [Fact]
    public void A_real_cards_eddsa_answer_is_rfc8032_over_the_data_field()
    {
        var message = Hex.Parse(YubiKey543Trace.SignMessage);
        Assert.Equal("00 2A 9E 9A 20 " + Hex.Format(message) + " 00", Hex.Format(SignCommands.Build(OpenPgpKeySlot.Signature, message).EncodeShort()));
        var signature = SignCommands.Parse(Response(YubiKey543Trace.SignResponse + "9000"), touchExpected: false, "sig", Context);
        Assert.True(Ed25519Oracle.Verifies(Hex.Parse(YubiKey543Trace.SignPublicKey), message, signature));
    }

    [Fact]
    public void Sign_refusals_become_domain_errors()
    {
        Assert.IsType<TouchTimeoutException>(Record.Exception(() => SignCommands.Parse(Response("69 82"), touchExpected: true, "sig", Context)));
        var noPin = Assert.IsType<DeviceErrorException>(Record.Exception(() => SignCommands.Parse(Response("69 82"), touchExpected: false, "sig", Context)));
        Assert.Contains("PIN", noPin.Message, StringComparison.Ordinal);
        Assert.IsType<KeyNotFoundOnTokenException>(Record.Exception(() => SignCommands.Parse(Response("6A 88"), touchExpected: false, "sig", Context)));
        var tooLong = Assert.IsType<DeviceErrorException>(Record.Exception(() => SignCommands.Parse(Response("6A 84"), touchExpected: false, "sig", Context)));
        Assert.Equal("SW 6A84", tooLong.Code);
        Assert.IsType<DeviceErrorException>(Record.Exception(() => SignCommands.Parse(Response("00 11 90 00"), touchExpected: false, "sig", Context)));
    }

    [Fact]
    public void Attestation_commands()
    {
        Assert.Equal("80 FB 01 00", Hex.Format(AttestCommands.Attest(OpenPgpKeySlot.Signature).EncodeShort()));
        Assert.Equal("80 FB 03 00", Hex.Format(AttestCommands.Attest(OpenPgpKeySlot.Authentication).EncodeShort()));

        // The trace's SELECT DATA to a 5.4.3 (with the length byte ykman adds for firmware up to 5.4.3; the trace adds Le).
        Assert.Equal("00 A5 02 04 07 06 60 04 5C 02 7F 21", Hex.Format(AttestCommands.SelectCertificate(OpenPgpKeySlot.Signature, yubiKeyLengthByte: true).EncodeShort()));
        Assert.Equal("00 A5 00 04 06 60 04 5C 02 7F 21", Hex.Format(AttestCommands.SelectCertificate(OpenPgpKeySlot.Authentication, yubiKeyLengthByte: false).EncodeShort()));
        Assert.IsType<NotSupportedByTokenException>(Record.Exception(() => AttestCommands.ParseAttest(Response("6A 80"), false, Context)));
        Assert.IsType<TouchTimeoutException>(Record.Exception(() => AttestCommands.ParseAttest(Response("69 82"), true, Context)));
    }

    [Fact]
    public void Fingerprint_is_gnupgs()
    {
        // gpg 2.2.40: --faked-system-time 20231127T000000! --quick-gen-key ... ed25519: the key packet's point and fingerprint.
        var publicKey = Hex.Parse("FE176749741CA241A6091BD017D2815ACB2EB4B9ED27164F6158506FD63E239B");
        Assert.Equal("3566B4D21BB0B04BAABFC92BED823B6DC271B91D", Convert.ToHexString(OpenPgpFingerprint.Ed25519(publicKey, 1701043200)));
    }

    [Fact]
    public void Signature_counter_and_pw_status()
    {
        Assert.Equal(3u, DataCommands.ParseSignatureCounter(Response("7a 05 93 03 00 00 03 90 00"), Context));
        var pw = KeyCustody.Tokens.OpenPgp.Data.PwStatus.Parse(Hex.Parse("01 7f 7f 7f 03 00 03"));
        Assert.False(pw.Pw1ForOneSignature);
        Assert.Equal((127, 3, 0, 3), (pw.Pw1MaxLength, pw.Pw1Retries, pw.ResetCodeRetries, pw.Pw3Retries));
        Assert.True(KeyCustody.Tokens.OpenPgp.Data.PwStatus.Parse(Hex.Parse("00 7f 7f 7f 02 00 03")).Pw1ForOneSignature);
    }
}
