namespace KeyCustody.Tokens.Piv.Commands;

/// <summary>GENERATE ASYMMETRIC KEY PAIR (47), Ed25519 only.</summary>
internal static class GenerateCommand
{
    /// <summary><c>00 47 00 slot Lc AC L 80 01 E0 [AA 01 p] [AB 01 t]</c>; default policies are omitted as ykman does.</summary>
    public static CommandApdu Build(byte slot, PinPolicy pin, TouchPolicy touch)
    {
        var template = new List<byte> { 0x80, 0x01, PivAlgorithm.Ed25519 };
        if (pin != PinPolicy.Default)
        {
            template.AddRange([0xAA, 0x01, PivPolicy.Encode(pin)]);
        }

        if (touch != TouchPolicy.Default)
        {
            template.AddRange([0xAB, 0x01, PivPolicy.Encode(touch)]);
        }

        return new CommandApdu(0x00, 0x47, 0x00, slot, Ber.Encode(0xAC, template.ToArray()));
    }

    /// <summary><c>7F 49 22 86 20 A</c> → A.</summary>
    public static byte[] Parse(ResponseApdu response, PivErrorContext context)
    {
        if (response.StatusWord == StatusWords.SecurityStatusNotSatisfied)
        {
            throw TokenErrors.ManagementKeyRequired(context.Token);
        }

        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "GENERATE");
        }

        try
        {
            var key = Ber.Unwrap(Ber.Unwrap(response.Data, 0x7F49), 0x86);
            return key.Length == Ed25519Check.PublicKeyLength ? key : throw new InvalidDataException($"Ed25519 public key of {key.Length} bytes");
        }
        catch (InvalidDataException e)
        {
            throw context.Malformed("GENERATE", e);
        }
    }
}

/// <summary>IMPORT ASYMMETRIC KEY (FE), Ed25519 seed only (firmware 5.7+).</summary>
internal static class ImportCommand
{
    /// <summary><c>00 FE E0 slot Lc 07 20 seed [AA 01 p] [AB 01 t]</c>; the buffer is zeroed after sending.</summary>
    public static CommandApdu Build(byte slot, ReadOnlySpan<byte> seed, PinPolicy pin, TouchPolicy touch)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }

        var data = new byte[2 + 32 + (pin != PinPolicy.Default ? 3 : 0) + (touch != TouchPolicy.Default ? 3 : 0)];
        data[0] = 0x07;
        data[1] = 0x20;
        seed.CopyTo(data.AsSpan(2));
        var at = 34;
        if (pin != PinPolicy.Default)
        {
            data[at++] = 0xAA;
            data[at++] = 0x01;
            data[at++] = PivPolicy.Encode(pin);
        }

        if (touch != TouchPolicy.Default)
        {
            data[at++] = 0xAB;
            data[at++] = 0x01;
            data[at] = PivPolicy.Encode(touch);
        }

        return new CommandApdu(0x00, 0xFE, PivAlgorithm.Ed25519, slot, data, sensitive: true);
    }

    public static void Parse(ResponseApdu response, PivErrorContext context)
    {
        if (response.StatusWord == StatusWords.SecurityStatusNotSatisfied)
        {
            throw TokenErrors.ManagementKeyRequired(context.Token);
        }

        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "IMPORT");
        }
    }
}

/// <summary>GENERAL AUTHENTICATE (87) with an Ed25519 key: the raw message in, R||S out.</summary>
internal static class SignCommand
{
    /// <summary>A YubiKey takes about 3 KB of APDU data; leave room for the TLV header.</summary>
    public const int MaxMessageLength = 3000;

    /// <summary><c>00 87 E0 slot Lc 7C L1 82 00 81 L2 message</c>.</summary>
    public static CommandApdu Build(byte slot, ReadOnlySpan<byte> message)
    {
        var inner = new List<byte>(message.Length + 8) { 0x82, 0x00, 0x81 };
        inner.AddRange(Ber.Length(message.Length));
        inner.AddRange(message.ToArray());
        return new CommandApdu(0x00, 0x87, PivAlgorithm.Ed25519, slot, Ber.Encode(0x7C, inner.ToArray()));
    }

    /// <summary>
    /// <c>7C 42 82 40 R||S</c> → R||S. 6982 after a key whose policy needs a touch (the PIN having been satisfied)
    /// is a touch timeout; without a touch policy it means the PIN was not verified.
    /// </summary>
    public static byte[] Parse(ResponseApdu response, bool touchExpected, PivErrorContext context)
    {
        var keyId = context.KeyId ?? "?";
        switch (response.StatusWord)
        {
            case StatusWords.Success:
                break;
            case StatusWords.SecurityStatusNotSatisfied when touchExpected:
                throw TokenErrors.TouchTimeout(context.Token, keyId);
            case StatusWords.SecurityStatusNotSatisfied:
                throw TokenErrors.PinRequired(context.Token, keyId);
            case StatusWords.IncorrectData or StatusWords.ReferenceNotFound:
                throw TokenErrors.KeyNotFound(context.Token, keyId);
            default:
                throw context.Unexpected(response.StatusWord, "GENERAL AUTHENTICATE (sign)");
        }

        try
        {
            var items = Ber.ReadAll(Ber.Unwrap(response.Data, 0x7C));
            var signature = Ber.Find(items, 0x82);
            return signature is { Length: Ed25519Check.SignatureLength }
                ? signature
                : throw new InvalidDataException("no 64-byte signature in tag 82");
        }
        catch (InvalidDataException e)
        {
            throw context.Malformed("GENERAL AUTHENTICATE (sign)", e);
        }
    }
}

/// <summary>ATTEST (F9) and GET DATA (CB) for the attestation certificate.</summary>
internal static class AttestCommands
{
    public static CommandApdu Attest(byte slot) => new(0x00, 0xF9, slot, 0x00);

    public static byte[] ParseAttest(ResponseApdu response, PivErrorContext context)
    {
        return response.StatusWord switch
        {
            StatusWords.Success when response.Data.Length > 0 && response.Data[0] == 0x30 => response.Data,
            StatusWords.Success => throw context.Malformed("ATTEST", new InvalidDataException("not a DER certificate")),
            StatusWords.IncorrectData or StatusWords.ReferenceNotFound => throw TokenErrors.NotSupported(
                context.Token, $"attestation of key {context.KeyId} (only keys generated on the card can be attested)"),
            StatusWords.InstructionNotSupported => throw TokenErrors.NotSupported(context.Token, "attestation (firmware too old)"),
            _ => throw context.Unexpected(response.StatusWord, "ATTEST"),
        };
    }

    /// <summary><c>00 CB 3F FF 05 5C 03 id</c>.</summary>
    public static CommandApdu GetData(int objectId) =>
        new(0x00, 0xCB, 0x3F, 0xFF, [0x5C, 0x03, (byte)(objectId >> 16), (byte)(objectId >> 8), (byte)objectId]);

    /// <summary><c>53 L (70 L cert)(71 01 info)(FE 00)</c> → the DER certificate; null if the object is absent.</summary>
    public static byte[]? ParseCertificateObject(ResponseApdu response, PivErrorContext context)
    {
        if (response.StatusWord == StatusWords.FileNotFound)
        {
            return null;
        }

        if (!response.IsSuccess)
        {
            throw context.Unexpected(response.StatusWord, "GET DATA");
        }

        try
        {
            var items = Ber.ReadAll(Ber.Unwrap(response.Data, 0x53));
            var info = Ber.Find(items, 0x71);
            if (info is { Length: > 0 } && info[0] != 0x00)
            {
                throw new InvalidDataException("compressed certificates are not supported");
            }

            return Ber.Find(items, 0x70) ?? throw new InvalidDataException("no certificate (tag 70)");
        }
        catch (InvalidDataException e)
        {
            throw context.Malformed("GET DATA (certificate)", e);
        }
    }
}
