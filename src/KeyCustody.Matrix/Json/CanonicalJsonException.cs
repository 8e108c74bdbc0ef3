namespace KeyCustody.Matrix.Json;

/// <summary>Why a JSON text was refused. Each value is one named rule of the strict reader.</summary>
public enum JsonErrorKind
{
    UnexpectedEnd,
    UnexpectedCharacter,
    TrailingData,
    ByteOrderMark,
    InvalidLiteral,
    Float,
    Exponent,
    LeadingZero,
    IntegerOutOfRange,
    NaNOrInfinity,
    DuplicateKey,
    UnpairedSurrogate,
    InvalidUtf8,
    InvalidEscape,
    ControlCharacterInString,
    TooDeep,
    TooLarge,
    NotAnObject,
}

/// <summary>
/// A JSON text broke a rule of the strict canonical-JSON profile. Says what (<see cref="Kind"/> and
/// the message), and where: the byte <see cref="Offset"/> into the input and the JSON <see cref="Path"/>.
/// </summary>
public sealed class CanonicalJsonException : FormatException
{
    public CanonicalJsonException(JsonErrorKind kind, string detail, long offset, string path)
        : base($"{detail} at byte {offset} ({path})")
    {
        Kind = kind;
        Detail = detail;
        Offset = offset;
        Path = path;
    }

    public JsonErrorKind Kind { get; }

    /// <summary>The rule broken, without the location.</summary>
    public string Detail { get; }

    /// <summary>Zero-based byte offset of the offending input.</summary>
    public long Offset { get; }

    /// <summary>JSON path of the value being read, e.g. <c>$.keys["ed25519:X"]</c> or <c>$.algorithms[1]</c>.</summary>
    public string Path { get; }
}
