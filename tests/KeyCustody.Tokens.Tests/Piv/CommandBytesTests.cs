using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Piv.Commands;
using KeyCustody.Tokens.Tests.Support;

namespace KeyCustody.Tokens.Tests.Piv;

/// <summary>Commands and responses as pure bytes, with the byte strings of piv-pcsc-pkcs11.md.</summary>
public sealed class CommandBytesTests
{
    private static readonly PivErrorContext Context = new("YubiKey 1", "9c");

    private static ResponseApdu Response(string hex) => ResponseApdu.Parse(Hex.Parse(hex));

    [Fact]
    public void Select_version_serial()
    {
        Assert.Equal("00 A4 04 00 05 A0 00 00 03 08", Hex.Format(IdentityCommands.Select().Encode()));
        Assert.Equal("00 FD 00 00", Hex.Format(IdentityCommands.GetVersion().Encode()));
        Assert.Equal("00 F8 00 00", Hex.Format(IdentityCommands.GetSerial().Encode()));
        IdentityCommands.ParseSelect(Response("61 11 4F 06 00 00 10 00 01 00 79 07 4F 05 A0 00 00 03 08 90 00"), Context);
        Assert.Equal(new Version(5, 7, 1), IdentityCommands.ParseVersion(Response("05 07 01 90 00"), Context));
        Assert.Equal(11409355u, IdentityCommands.ParseSerial(Response("00 AE 17 CB 90 00"), Context));
    }

    [Fact]
    public void Select_of_a_card_without_piv_names_it()
    {
        var error = Assert.IsType<DeviceErrorException>(Record.Exception(() => IdentityCommands.ParseSelect(Response("6A 82"), Context)));
        Assert.Equal("SW 6A82", error.Code);
        Assert.Contains("no PIV application", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_with_and_without_policies()
    {
        Assert.Equal(
            "00 47 00 9C 0B AC 09 80 01 E0 AA 01 03 AB 01 02",
            Hex.Format(GenerateCommand.Build(0x9C, PinPolicy.Always, TouchPolicy.Always).Encode()));
        Assert.Equal("00 47 00 9C 05 AC 03 80 01 E0", Hex.Format(GenerateCommand.Build(0x9C, PinPolicy.Default, TouchPolicy.Default).Encode()));
        Assert.Equal(
            "00 47 00 9C 0B AC 09 80 01 E0 AA 01 02 AB 01 01",
            Hex.Format(GenerateCommand.Build(0x9C, PinPolicy.Once, TouchPolicy.Never).Encode()));
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        Assert.Equal(key, GenerateCommand.Parse(Response("7F 49 22 86 20 " + Hex.Format(key) + " 90 00"), Context));
        Assert.IsType<ManagementKeyIncorrectException>(Record.Exception(() => GenerateCommand.Parse(Response("69 82"), Context)));
    }

    [Fact]
    public void Sign_short_message()
    {
        Assert.Equal(
            "00 87 E0 9C 0B 7C 09 82 00 81 05 68 65 6C 6C 6F",
            Hex.Format(SignCommand.Build(0x9C, "hello"u8).Encode()));
    }

    [Fact]
    public void Sign_200_bytes_uses_one_byte_extended_lengths()
    {
        var command = SignCommand.Build(0x9C, new byte[200]);
        Assert.Equal(208, command.Data.Length);
        Assert.Equal("7C 81 CD 82 00 81 81 C8", Hex.Format(command.Data.AsSpan(0, 8)));
        Assert.Equal("00 87 E0 9C D0", Hex.Format(command.Encode().AsSpan(0, 5)));
    }

    [Fact]
    public void Sign_1000_bytes_is_chained_255_255_255_245()
    {
        var message = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var transport = new ScriptedTransport(["90 00", "90 00", "90 00", "7C 42 82 40 " + Hex.Format(new byte[64]) + " 90 00"]);
        var response = new ChainingChannel(transport).Transmit(SignCommand.Build(0x9C, message));
        Assert.Equal(0x9000, response.StatusWord);
        Assert.Equal(["10", "10", "10", "00"], transport.Sent.Select(apdu => apdu[0].ToString("X2")));
        Assert.Equal([255, 255, 255, 245], transport.Sent.Select(apdu => (int)apdu[4]));
        Assert.All(transport.Sent, apdu => Assert.Equal("87 E0 9C", Hex.Format(apdu.AsSpan(1, 3))));
        Assert.Equal("7C 82 03 EE 82 00 81 82 03 E8", Hex.Format(transport.Sent[0].AsSpan(5, 10)));
        var reassembled = transport.Sent.SelectMany(apdu => apdu[5..]).ToArray();
        Assert.Equal(message, reassembled[10..]);
    }

    [Fact]
    public void A_failing_chunk_stops_the_chain()
    {
        var transport = new ScriptedTransport(["6A 80"]);
        var response = new ChainingChannel(transport).Transmit(SignCommand.Build(0x9C, new byte[600]));
        Assert.Equal(0x6A80, response.StatusWord);
        Assert.Single(transport.Sent);
    }

    [Fact]
    public void Response_chaining_collects_61xx_with_get_response()
    {
        var part1 = Enumerable.Repeat((byte)0x11, 256).ToArray();
        var part2 = Enumerable.Repeat((byte)0x22, 256).ToArray();
        var part3 = new byte[] { 0x33, 0x44 };
        var transport = new ScriptedTransport([Hex.Format(part1) + " 61 00", Hex.Format(part2) + " 61 02", Hex.Format(part3) + " 90 00"]);
        var response = new ChainingChannel(transport).Transmit(AttestCommands.Attest(0x9C));
        Assert.Equal("00 F9 9C 00", Hex.Format(transport.Sent[0]));
        Assert.Equal("00 C0 00 00 00", Hex.Format(transport.Sent[1]));
        Assert.Equal("00 C0 00 00 02", Hex.Format(transport.Sent[2]));
        Assert.Equal([.. part1, .. part2, .. part3], response.Data);
        Assert.Equal(0x9000, response.StatusWord);
    }

    [Fact]
    public void Verify_pads_with_FF_and_zeroes_its_buffer_after_sending()
    {
        var command = PinCommands.Verify("123456"u8);
        Assert.Equal("00 20 00 80 08 31 32 33 34 35 36 FF FF", Hex.Format(command.Encode()));
        var transport = new ScriptedTransport(["90 00"]);
        new ChainingChannel(transport).Transmit(command);
        Assert.All(command.Data, b => Assert.Equal(0, b));
        Assert.Equal("00 20 00 80", Hex.Format(PinCommands.Status().Encode()));
    }

    [Theory]
    [InlineData("63 C2", 2)]
    [InlineData("63 C1", 1)]
    public void Wrong_pin_reports_retries(string sw, int retries)
    {
        var error = Assert.IsType<PinIncorrectException>(Record.Exception(() => PinCommands.ParseVerify(Response(sw), Context)));
        Assert.Equal(retries, error.RetriesLeft);
        Assert.Contains($"{retries} attempt", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("69 83")]
    [InlineData("63 C0")]
    public void Blocked_pin(string sw) =>
        Assert.IsType<PinBlockedException>(Record.Exception(() => PinCommands.ParseVerify(Response(sw), Context)));

    [Fact]
    public void Pin_status_probe()
    {
        Assert.Equal((true, (int?)null), PinCommands.ParseStatus(Response("90 00"), Context));
        Assert.Equal((false, (int?)3), PinCommands.ParseStatus(Response("63 C3"), Context));
        Assert.Equal((false, (int?)0), PinCommands.ParseStatus(Response("69 83"), Context));
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("123456789")]
    public void Pin_format_is_checked_before_sending(string pin) =>
        Assert.NotNull(PinCommands.FormatProblem(System.Text.Encoding.ASCII.GetBytes(pin)));

    [Fact]
    public void Metadata_of_pin_and_ed25519_key()
    {
        Assert.Equal("00 F7 00 9C", Hex.Format(MetadataCommand.Build(0x9C).Encode()));
        var pin = MetadataCommand.ParsePin(Response("01 01 FF 05 01 01 06 02 05 05 90 00"), Context);
        Assert.Equal(new PinMetadata(true, 5, 5), pin);
        var key = Enumerable.Range(0, 32).Select(i => (byte)(0xA0 + i)).ToArray();
        var metadata = MetadataCommand.ParseKey(Response("01 01 E0 02 02 03 02 03 01 01 04 22 86 20 " + Hex.Format(key) + " 90 00"), Context)!;
        Assert.Equal(PivAlgorithm.Ed25519, metadata.Algorithm);
        Assert.Equal(PinPolicy.Always, metadata.PinPolicy);
        Assert.Equal(TouchPolicy.Always, metadata.TouchPolicy);
        Assert.Equal(KeyOrigin.Generated, metadata.Origin);
        Assert.Equal(key, metadata.PublicKey);
        Assert.Null(MetadataCommand.ParseKey(Response("6A 88"), Context));
        var management = MetadataCommand.ParseManagementKey(Response("01 01 03 02 02 00 01 05 01 00 90 00"), Context)!;
        Assert.Equal(PivAlgorithm.TripleDes, management.Algorithm);
        Assert.Equal(TouchPolicy.Never, management.TouchPolicy);
        Assert.Null(MetadataCommand.ParseManagementKey(Response("6D 00"), Context));
    }

    [Fact]
    public void Truncated_metadata_is_a_device_error_not_a_crash()
    {
        var error = Assert.IsType<DeviceErrorException>(Record.Exception(() => MetadataCommand.ParseKey(Response("01 01 E0 02 05 03 90 00"), Context)));
        Assert.Contains("malformed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_response_and_its_errors()
    {
        var signature = Enumerable.Range(0, 64).Select(i => (byte)i).ToArray();
        Assert.Equal(signature, SignCommand.Parse(Response("7C 42 82 40 " + Hex.Format(signature) + " 90 00"), false, Context));
        Assert.IsType<TouchTimeoutException>(Record.Exception(() => SignCommand.Parse(Response("69 82"), true, Context)));
        Assert.IsType<PinRequiredException>(Record.Exception(() => SignCommand.Parse(Response("69 82"), false, Context)));
        Assert.IsType<KeyNotFoundOnTokenException>(Record.Exception(() => SignCommand.Parse(Response("6A 80"), false, Context)));
        Assert.IsType<DeviceErrorException>(Record.Exception(() => SignCommand.Parse(Response("7C 02 82 00 90 00"), false, Context)));
    }

    [Fact]
    public void Management_key_mutual_authentication_bytes()
    {
        Assert.Equal("00 87 0A 9B 04 7C 02 80 00", Hex.Format(ManagementKeyCommands.RequestWitness(PivAlgorithm.Aes192).Encode()));
        var witness = Enumerable.Repeat((byte)0x57, 16).ToArray();
        var challenge = Enumerable.Repeat((byte)0xC4, 16).ToArray();
        var respond = ManagementKeyCommands.Respond(PivAlgorithm.Aes192, witness, challenge);
        Assert.Equal("00 87 0A 9B 26 7C 24 80 10 " + Hex.Format(witness) + " 81 10 " + Hex.Format(challenge), Hex.Format(respond.Encode()));
        Assert.True(respond.Sensitive);
        var encrypted = Enumerable.Range(0, 16).Select(i => (byte)i).ToArray();
        Assert.Equal(encrypted, ManagementKeyCommands.ParseWitness(Response("7C 12 80 10 " + Hex.Format(encrypted) + " 90 00"), PivAlgorithm.Aes192, Context));
        Assert.IsType<ManagementKeyIncorrectException>(Record.Exception(() => ManagementKeyCommands.ParseResponse(Response("69 82"), PivAlgorithm.Aes192, Context)));
        Assert.Equal("00 87 03 9B 16 7C 14 80 08", Hex.Format(ManagementKeyCommands.Respond(PivAlgorithm.TripleDes, new byte[8], new byte[8]).Encode().AsSpan(0, 9)));
    }

    [Fact]
    public void Triple_des_with_the_default_key_round_trips_and_differs_from_single_des_of_other_keys()
    {
        var key = Hex.Parse("010203040506070801020304050607080102030405060708");
        var block = Hex.Parse("0011223344556677");
        var encrypted = ManagementKeyCipher.Encrypt(PivAlgorithm.TripleDes, key, block);
        Assert.NotEqual(block, encrypted);
        Assert.Equal(block, ManagementKeyCipher.Decrypt(PivAlgorithm.TripleDes, key, encrypted));
        var other = Hex.Parse("0102030405060708" + "1112131415161718" + "0102030405060708");
        Assert.NotEqual(encrypted, ManagementKeyCipher.Encrypt(PivAlgorithm.TripleDes, other, block));
    }

    [Fact]
    public void Get_data_certificate_object()
    {
        Assert.Equal("00 CB 3F FF 05 5C 03 5F FF 01", Hex.Format(AttestCommands.GetData(PivSlot.CertificateObject(0xF9)).Encode()));
        Assert.Equal("00 CB 3F FF 05 5C 03 5F C1 0A", Hex.Format(AttestCommands.GetData(PivSlot.CertificateObject(0x9C)).Encode()));
        Assert.Equal(Hex.Parse("30 03 02 01 01"), AttestCommands.ParseCertificateObject(Response("53 0C 70 05 30 03 02 01 01 71 01 00 FE 00 90 00"), Context));
        Assert.Null(AttestCommands.ParseCertificateObject(Response("6A 82"), Context));
        Assert.IsType<NotSupportedByTokenException>(Record.Exception(() => AttestCommands.ParseAttest(Response("6A 80"), Context)));
    }

    [Theory]
    [InlineData("9c", 0x9C)]
    [InlineData("9A", 0x9A)]
    [InlineData("0x95", 0x95)]
    [InlineData("82", 0x82)]
    public void Slot_names(string name, int slot) => Assert.Equal((byte)slot, PivSlot.Parse(name));

    [Theory]
    [InlineData("9b")]
    [InlineData("f9")]
    [InlineData("96")]
    [InlineData("9")]
    [InlineData("master")]
    public void Not_key_slots(string name) => Assert.Null(PivSlot.Parse(name));

    /// <summary>Answers with canned responses and records every command.</summary>
    private sealed class ScriptedTransport(IEnumerable<string> responses) : IApduTransport
    {
        private readonly Queue<string> _responses = new(responses);

        public List<byte[]> Sent { get; } = [];

        public byte[] Transmit(ReadOnlySpan<byte> command)
        {
            Sent.Add(command.ToArray());
            return Hex.Parse(_responses.Dequeue());
        }
    }
}
