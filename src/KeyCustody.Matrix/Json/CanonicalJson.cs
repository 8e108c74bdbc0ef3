using System.Buffers;

namespace KeyCustody.Matrix.Json;

/// <summary>
/// Matrix canonical JSON (spec appendix "Canonical JSON"): read strictly, write canonically.
/// Not RFC 8785/JCS: keys sort by code point and only integers exist.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Bytes a canonical string must escape: C0 controls, quote and backslash.</summary>
    internal static readonly SearchValues<byte> MustEscape = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
         0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
         (byte)'"', (byte)'\\']);

    /// <summary>Reads one JSON value strictly; throws <see cref="CanonicalJsonException"/> saying what and where.</summary>
    public static JsonValue Parse(ReadOnlySpan<byte> utf8, CanonicalJsonLimits? limits = null) =>
        CanonicalJsonReader.Read(utf8, limits);

    /// <summary>Reads one JSON object strictly; any other top-level value is refused.</summary>
    public static JsonObject ParseObject(ReadOnlySpan<byte> utf8, CanonicalJsonLimits? limits = null) =>
        Parse(utf8, limits) as JsonObject
            ?? throw new CanonicalJsonException(JsonErrorKind.NotAnObject, "expected a JSON object at the top level", 0, "$");

    /// <summary>Reads without throwing; <paramref name="error"/> says why when it returns false.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8, out JsonValue? value, out CanonicalJsonException? error, CanonicalJsonLimits? limits = null)
    {
        try
        {
            value = Parse(utf8, limits);
            error = null;
            return true;
        }
        catch (CanonicalJsonException e)
        {
            value = null;
            error = e;
            return false;
        }
    }

    /// <summary>The canonical encoding of <paramref name="value"/>.</summary>
    public static byte[] Encode(JsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var writer = new CanonicalJsonWriter(256);
        try
        {
            writer.WriteValue(value);
            return writer.Written.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Writes the canonical encoding of <paramref name="value"/> to <paramref name="output"/>.</summary>
    public static void Encode(JsonValue value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(output);
        var writer = new CanonicalJsonWriter(256);
        try
        {
            writer.WriteValue(value);
            output.Write(writer.Written);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Strict read then canonical write: the canonical form of a JSON text.</summary>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8, CanonicalJsonLimits? limits = null) => Encode(Parse(utf8, limits));

    /// <summary>
    /// The bytes a Matrix signature covers: the object without its top-level <c>signatures</c> and
    /// <c>unsigned</c>, canonically encoded.
    /// </summary>
    public static byte[] EncodeForSigning(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var writer = new CanonicalJsonWriter(256);
        try
        {
            writer.WriteObject(obj, skipSigningMembers: true);
            return writer.Written.ToArray();
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>Runs <paramref name="use"/> over the signing bytes of <paramref name="obj"/> without copying them out of the pool.</summary>
    internal static TResult WithSigningBytes<TState, TResult>(JsonObject obj, TState state, SpanFunc<TState, TResult> use)
    {
        var writer = new CanonicalJsonWriter(512);
        try
        {
            writer.WriteObject(obj, skipSigningMembers: true);
            return use(writer.Written, state);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>
    /// Runs <paramref name="use"/> over the canonical encoding of <paramref name="value"/> in the encoder's pooled buffer:
    /// for a caller that only reads it once (hashes it, copies it on), no array of its own. The span is valid only during
    /// <paramref name="use"/>.
    /// </summary>
    public static TResult WithEncoding<TState, TResult>(JsonValue value, TState state, SpanFunc<TState, TResult> use)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(use);
        var writer = new CanonicalJsonWriter(256);
        try
        {
            writer.WriteValue(value);
            return use(writer.Written, state);
        }
        finally
        {
            writer.Dispose();
        }
    }

    /// <summary>A function of encoded bytes (valid only during the call) and the caller's state.</summary>
    public delegate TResult SpanFunc<in TState, out TResult>(ReadOnlySpan<byte> bytes, TState state);
}
