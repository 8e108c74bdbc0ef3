namespace KeyCustody.Tokens.OpenPgp.Data;

/// <summary>
/// A key slot's algorithm attributes (C1/C2/C3, §4.4.3.9): algorithm id, then RSA sizes or the curve's OID, and for
/// ECC an optional import-format byte (FF: the public key is imported too).
/// </summary>
internal sealed record AlgorithmAttributes(byte[] Bytes)
{
    public const byte Rsa = 0x01;
    public const byte Ecdh = 0x12;
    public const byte Ecdsa = 0x13;
    public const byte EdDsa = 0x16;

    /// <summary>1.3.6.1.4.1.11591.15.1, the Ed25519 curve OID as OpenPGP writes it.</summary>
    private static readonly byte[] Ed25519Oid = [0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];

    /// <summary><c>16 2B 06 01 04 01 DA 47 0F 01</c>: what we write before generating or importing an Ed25519 key.</summary>
    public static AlgorithmAttributes Ed25519 { get; } = new([EdDsa, .. Ed25519Oid]);

    public byte Algorithm => Bytes.Length > 0 ? Bytes[0] : (byte)0;

    /// <summary><c>… FF</c>: the card wants the public key (99) with an imported private key (opcard-rs announces ECC so).</summary>
    public bool ImportsWithPublicKey => IsEd25519 && Bytes[^1] == 0xFF;

    /// <summary>
    /// The Ed25519 attributes the card lists for <paramref name="attributesTag"/> in its algorithm information (FA,
    /// 3.4 §4.4.3.11): with the import-format byte FF where it wants it. Null when it lists none (or has no FA).
    /// </summary>
    public static AlgorithmAttributes? Ed25519From(byte[]? algorithmInformation, byte attributesTag)
    {
        if (algorithmInformation is null)
        {
            return null;
        }

        // GET DATA 00FA answers the constructed DO itself (FA 82 01E2 C1 06 … on the 5.4.3), a card may answer its content.
        var items = KeyCustody.Tokens.Piv.Ber.ReadAll(algorithmInformation);
        if (items is [(0xFA, var content)])
        {
            items = KeyCustody.Tokens.Piv.Ber.ReadAll(content);
        }

        foreach (var (tag, value) in items)
        {
            var attributes = new AlgorithmAttributes(value);
            if (tag == attributesTag && attributes.IsEd25519)
            {
                return attributes;
            }
        }

        return null;
    }

    /// <summary>EdDSA on the Ed25519 curve, with or without the import-format byte.</summary>
    public bool IsEd25519 =>
        Algorithm == EdDsa && Bytes.AsSpan(1).StartsWith(Ed25519Oid) && Bytes.Length - 1 - Ed25519Oid.Length is 0 or 1;

    /// <summary>What the slot is set up for, for a refusal a person can act on ("RSA 2048", "ECDSA NIST P-256", ...).</summary>
    public string Describe()
    {
        if (Bytes.Length == 0)
        {
            return "no algorithm";
        }

        if (Algorithm == Rsa && Bytes.Length >= 3)
        {
            return $"RSA {(Bytes[1] << 8) | Bytes[2]}";
        }

        if (IsEd25519)
        {
            return "Ed25519";
        }

        var oid = Bytes.AsSpan(1).ToArray();
        if (oid.Length > 0 && oid[^1] == 0xFF)
        {
            oid = oid[..^1];
        }

        string curve = Convert.ToHexString(oid) switch
        {
            "2A8648CE3D030107" => "NIST P-256",
            "2B81040022" => "NIST P-384",
            "2B81040023" => "NIST P-521",
            "2B8104000A" => "secp256k1",
            "2B2403030208010107" => "brainpoolP256r1",
            "2B240303020801010B" => "brainpoolP384r1",
            "2B240303020801010D" => "brainpoolP512r1",
            "2B060104019755010501" => "Curve25519",
            "2B06010401DA470F01" => "Ed25519",
            var hex => $"curve OID {hex}",
        };
        string algorithm = Algorithm switch
        {
            Ecdh => "ECDH",
            Ecdsa => "ECDSA",
            EdDsa => "EdDSA",
            _ => $"algorithm {Algorithm:X2}",
        };
        return $"{algorithm} {curve}";
    }
}
