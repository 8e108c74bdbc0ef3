using KeyCustody.Tokens.Piv;
using KeyCustody.Tokens.Pkcs11.Native;

namespace KeyCustody.Tokens.Pkcs11;

/// <summary>A key pair found on the token: what the key is, and the private half's handle where it is visible.</summary>
internal sealed record Pkcs11Key(TokenKey Info, ulong? PrivateHandle, bool IsPrivate, bool AlwaysAuthenticate);

/// <summary>
/// Finds a key pair by its name (<see cref="Pkcs11KeyName"/>) as every PKCS#11 consumer does: the object the name
/// finds, then its other half by CKA_ID (by the same label only when the id is empty), and reads its policies: Yubico's
/// vendor attributes where the module has them (ykcs11 2.3+), otherwise CKA_ALWAYS_AUTHENTICATE and CKA_PRIVATE.
/// One session, the caller's lock.
/// </summary>
internal sealed class Pkcs11KeyFinder(Pkcs11Session session, string token, Version? ykcs11, bool loggedIn)
{
    private static readonly ulong[] PrivateAttributes =
        [CKA.CKA_PRIVATE, CKA.CKA_ALWAYS_AUTHENTICATE, CKA.CKA_LOCAL, Pkcs11Native.CkaYubicoPinPolicy, Pkcs11Native.CkaYubicoTouchPolicy];

    public Pkcs11Key Find(Pkcs11KeyName name)
    {
        var publicKey = Single(Objects(CKO.CKO_PUBLIC_KEY, name), name);
        ulong? privateKey;
        if (publicKey is not null)
        {
            var (id, label) = IdAndLabel(publicKey.Value);
            privateKey = Partner(CKO.CKO_PRIVATE_KEY, id, label, name);
        }
        else
        {
            // The name may be the private half's (ykcs11: "Private key for Digital Signature"), visible after login.
            privateKey = Single(Objects(CKO.CKO_PRIVATE_KEY, name), name) ?? throw NotFound(name);
            var (id, label) = IdAndLabel(privateKey.Value);
            publicKey = Partner(CKO.CKO_PUBLIC_KEY, id, label, name)
                ?? throw TokenErrors.KeyNotFound(token, $"{name.Text} (its private key is there, but no public key has its CKA_ID)");
        }

        RequireEd25519(publicKey.Value, name);
        var point = session.GetAttributeValue(publicKey.Value, [CKA.CKA_EC_POINT])[0].AsBytes();
        var raw = Pkcs11Native.PublicKeyFromEcPoint(point)
            ?? throw TokenErrors.Device(token, $"key {name.Text} has a CKA_EC_POINT that is not an Ed25519 point", "bad CKA_EC_POINT");
        if (privateKey is null)
        {
            // Before login a private (PIN-protected) key is invisible: its policy is at least "once", the rest unknown.
            return loggedIn
                ? throw TokenErrors.KeyNotFound(token, $"{name.Text} (there is its public key, but no private key with its CKA_ID)")
                : new Pkcs11Key(new TokenKey(name.Text, raw, PinPolicy.Once, TouchPolicy.Never, KeyOrigin.Unknown), null, true, false);
        }

        var attributes = session.GetAttributeValue(privateKey.Value, PrivateAttributes);
        bool isPrivate = attributes[0].AsBool() ?? true;
        bool always = attributes[1].AsBool() ?? false;
        bool local = attributes[2].AsBool() ?? false;
        var pin = VendorByte(attributes[3]) is { } pinCode && PivPolicy.DecodePin(pinCode) is not PinPolicy.Default and var vendorPin
            ? vendorPin
            : always ? PinPolicy.Always : isPrivate ? PinPolicy.Once : PinPolicy.Never;
        var touch = VendorByte(attributes[4]) is { } touchCode && PivPolicy.DecodeTouch(touchCode) is not TouchPolicy.Default and var vendorTouch
            ? vendorTouch
            : TouchPolicy.Never;
        var info = new TokenKey(name.Text, raw, pin, touch, local ? KeyOrigin.Generated : KeyOrigin.Imported);
        return new Pkcs11Key(info, privateKey.Value, isPrivate, always);
    }

    /// <summary>
    /// Names for the Ed25519 public keys on the token: the PIV slot for ykcs11, the label where it is unique (the name
    /// keys always had), otherwise the CKA_ID.
    /// </summary>
    public List<string> Names()
    {
        var keys = session.FindAllObjects([Attribute(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY), Attribute(CKA.CKA_KEY_TYPE, Pkcs11Native.CkkEcEdwards)])
            .Select(IdAndLabel)
            .Select(key => (key.Id, Label: Pkcs11Label.Text(key.Label)))
            .ToList();
        var names = new List<string>();
        foreach (var (id, label) in keys)
        {
            // A label that is not one for us (Pkcs11Label: a NUL, or not UTF-8) names nothing: the key goes by its id.
            string? name = ykcs11 is not null ? Pkcs11KeyName.Ykcs11SlotName(id) : null;
            if (name is null && label is { Length: > 0 } && keys.Count(k => k.Label == label) == 1)
            {
                name = Pkcs11KeyName.IsPrefixed(label) ? Pkcs11KeyName.LabelPrefix + label : label;
            }

            name ??= id.Length > 0 ? Pkcs11KeyName.IdPrefix + Convert.ToHexStringLower(id) : null;
            if (name is not null)
            {
                names.Add(name);
            }
        }

        return names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The objects of <paramref name="kind"/> with the name's label or id (any key type: a wrong type is named). Those
    /// found are kept only if their label or id is the name's, byte for byte: a module that compares them as C strings
    /// also answers with objects labelled "k\0..." for the name "k", or with the CKA_ID 01 00 ee for id:01.
    /// </summary>
    public List<ulong> Objects(ulong kind, Pkcs11KeyName name)
    {
        if (name.Label is null)
        {
            return WithId(session.FindAllObjects([Attribute(CKA.CKA_CLASS, kind), Attribute(CKA.CKA_ID, name.Id!)]), name.Id!);
        }

        var label = Attribute(CKA.CKA_LABEL, name.Label);
        return WithLabel(session.FindAllObjects([Attribute(CKA.CKA_CLASS, kind), label]), label.Value);
    }

    private ulong? Single(List<ulong> found, Pkcs11KeyName name) => found.Count switch
    {
        0 => null,
        1 => found[0],
        _ => throw TokenErrors.NotSupported(token, $"the key name '{name.Text}' ({found.Count} keys answer to it; name one by id:HEX)"),
    };

    /// <summary>
    /// The other half: the object of <paramref name="kind"/> with the same CKA_ID (same label breaks a tie). Ids and
    /// labels are compared as the bytes they are (the module's own matching is not believed); a label that is not one
    /// for us (<see cref="Pkcs11Label"/>) pairs nothing by itself and breaks no tie (the halves that answer are then
    /// named as too many).
    /// </summary>
    private ulong? Partner(ulong kind, byte[] id, byte[] label, Pkcs11KeyName name)
    {
        bool usable = Pkcs11Label.Text(label) is not null;
        if (id.Length == 0)
        {
            return label.Length > 0 && usable ? Single(WithLabel(session.FindAllObjects([Attribute(CKA.CKA_CLASS, kind), Attribute(CKA.CKA_LABEL, label)]), label), name) : null;
        }

        var found = WithId(session.FindAllObjects([Attribute(CKA.CKA_CLASS, kind), Attribute(CKA.CKA_ID, id)]), id);
        if (found.Count > 1 && usable)
        {
            found = WithLabel(found, label);
        }

        return Single(found, name);
    }

    /// <summary>The objects whose CKA_LABEL is <paramref name="label"/> exactly (an unreadable one is empty, as before).</summary>
    private List<ulong> WithLabel(List<ulong> found, byte[] label) => WithValue(found, CKA.CKA_LABEL, label);

    /// <summary>The objects whose CKA_ID is <paramref name="id"/> exactly (an unreadable one is empty: never an id we search).</summary>
    private List<ulong> WithId(List<ulong> found, byte[] id) => WithValue(found, CKA.CKA_ID, id);

    private List<ulong> WithValue(List<ulong> found, ulong type, byte[] value) =>
        found.Where(handle => session.GetAttributeValue(handle, [type])[0].AsBytes().AsSpan().SequenceEqual(value)).ToList();

    private void RequireEd25519(ulong key, Pkcs11KeyName name)
    {
        ulong? type;
        try
        {
            type = session.GetAttributeValue(key, [CKA.CKA_KEY_TYPE])[0].AsNumber();
        }
        catch (Pkcs11CallException e) when (e.RV is CKR.CKR_FUNCTION_FAILED or CKR.CKR_ATTRIBUTE_TYPE_INVALID or CKR.CKR_ATTRIBUTE_SENSITIVE)
        {
            // ykcs11 2.2.0 answers CKR_FUNCTION_FAILED for the type of a key it does not know (a YubiKey's Ed25519).
            type = null;
        }

        if (type == Pkcs11Native.CkkEcEdwards)
        {
            return;
        }

        if (type is null && ykcs11 is not null && ykcs11 < Pkcs11Native.Ykcs11Ed25519)
        {
            // ykcs11 before 2.5 cannot read a YubiKey's Ed25519 keys at all (it cannot tell their type).
            throw TokenErrors.NotSupported(
                token,
                $"Ed25519 keys through ykcs11 {ykcs11} (key {name.Text}): ykcs11 has them from 2.5.0 and handles them right from {Pkcs11Native.Ykcs11Ed25519} " +
                "(Debian 12 ships 2.2.0); use a newer ykcs11, or the daemon's own PIV backend (token kind piv)");
        }

        throw TokenErrors.KeyNotFound(token, $"{name.Text} (the key of that name is {(type is { } known ? TypeName(known) : "of a type the module does not report")})");
    }

    /// <summary>The object's CKA_ID and CKA_LABEL as the bytes they are (empty if unreadable).</summary>
    private (byte[] Id, byte[] Label) IdAndLabel(ulong handle)
    {
        var values = session.GetAttributeValue(handle, [CKA.CKA_ID, CKA.CKA_LABEL]);
        return (values[0].AsBytes(), values[1].AsBytes());
    }

    private KeyNotFoundOnTokenException NotFound(Pkcs11KeyName name) => TokenErrors.KeyNotFound(
        token, loggedIn ? name.Text : $"{name.Text} (of a private key only its public half is visible before login)");

    private static byte? VendorByte(Pkcs11AttributeValue attribute) => attribute.Value is [var value] ? value : null;

    private static string TypeName(ulong type) => type switch
    {
        CKK.CKK_RSA => "an RSA key",
        CKK.CKK_EC => "an EC (ECDSA/ECDH) key",
        0x41 => "an X25519 key",
        _ => $"a key of type 0x{type:x}",
    };

    private static Pkcs11Attribute Attribute(ulong type, ulong value) => Pkcs11Attribute.Of(type, value);

    private static Pkcs11Attribute Attribute(ulong type, string value) => Pkcs11Attribute.Of(type, value);

    private static Pkcs11Attribute Attribute(ulong type, byte[] value) => Pkcs11Attribute.Of(type, value);
}
