namespace KeyCustody.Matrix.Json;

/// <summary>The kinds of value Matrix canonical JSON can hold. There is no floating-point kind.</summary>
public enum JsonKind
{
    Null,
    Boolean,
    Integer,
    String,
    Array,
    Object,
}

/// <summary>
/// An immutable JSON value in the Matrix canonical-JSON data model: null, booleans, integers within
/// ±(2^53−1), Unicode strings without surrogates, arrays, and objects with unique keys.
/// Equality is structural.
/// </summary>
public abstract class JsonValue : IEquatable<JsonValue>
{
    private protected JsonValue()
    {
    }

    public abstract JsonKind Kind { get; }

    public static implicit operator JsonValue(string value) => new JsonString(value);

    public static implicit operator JsonValue(long value) => new JsonInteger(value);

    public static implicit operator JsonValue(bool value) => JsonBoolean.From(value);

    public abstract bool Equals(JsonValue? other);

    public override bool Equals(object? obj) => obj is JsonValue other && Equals(other);

    public abstract override int GetHashCode();

    /// <summary>The canonical JSON text of this value.</summary>
    public override string ToString() => System.Text.Encoding.UTF8.GetString(CanonicalJson.Encode(this));

    public static JsonValue FromString(string value) => new JsonString(value);

    public static JsonValue FromInt64(long value) => new JsonInteger(value);

    public static JsonValue FromBoolean(bool value) => JsonBoolean.From(value);
}

/// <summary>JSON <c>null</c>.</summary>
public sealed class JsonNull : JsonValue
{
    public static readonly JsonNull Instance = new();

    private JsonNull()
    {
    }

    public override JsonKind Kind => JsonKind.Null;

    public override bool Equals(JsonValue? other) => other is JsonNull;

    public override int GetHashCode() => 0x6e756c6c;
}

/// <summary>JSON <c>true</c> or <c>false</c>.</summary>
public sealed class JsonBoolean : JsonValue
{
    public static readonly JsonBoolean True = new(true);
    public static readonly JsonBoolean False = new(false);

    private JsonBoolean(bool value) => Value = value;

    public bool Value { get; }

    public override JsonKind Kind => JsonKind.Boolean;

    public static JsonBoolean From(bool value) => value ? True : False;

    public override bool Equals(JsonValue? other) => other is JsonBoolean b && b.Value == Value;

    public override int GetHashCode() => Value ? 1 : 2;
}

/// <summary>A JSON integer within the canonical range ±(2^53−1).</summary>
public sealed class JsonInteger : JsonValue
{
    /// <summary>2^53 − 1, the largest integer canonical JSON allows.</summary>
    public const long MaxValue = 9007199254740991;

    /// <summary>−(2^53 − 1), the smallest integer canonical JSON allows.</summary>
    public const long MinValue = -9007199254740991;

    public JsonInteger(long value)
    {
        if (value is > MaxValue or < MinValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "canonical JSON integers must be within ±(2^53−1)");
        }

        Value = value;
    }

    public long Value { get; }

    public override JsonKind Kind => JsonKind.Integer;

    public override bool Equals(JsonValue? other) => other is JsonInteger i && i.Value == Value;

    public override int GetHashCode() => Value.GetHashCode();
}
