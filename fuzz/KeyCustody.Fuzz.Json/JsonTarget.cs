using KeyCustody.Matrix.Json;

namespace KeyCustody.Fuzz.Json;

/// <summary>
/// <see cref="CanonicalJson.Parse"/> on any bytes: it may only refuse with <see cref="CanonicalJsonException"/>,
/// and what it accepts must encode to a fixed point of Canonicalize that parses back to the same value.
/// </summary>
public static class JsonTarget
{
    /// <summary>Tight enough that the depth and size limits are reachable by mutation.</summary>
    public static CanonicalJsonLimits Limits { get; } = new() { MaxDepth = 32, MaxBytes = 64 * 1024 };

    public static void Run(byte[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        JsonValue value;
        try
        {
            value = CanonicalJson.Parse(input, Limits);
        }
        catch (CanonicalJsonException e)
        {
            // The error must be describable: message, offset and path are what callers show.
            if (e.Offset < 0 || e.Offset > input.Length || string.IsNullOrEmpty(e.Path) || string.IsNullOrEmpty(e.Message))
            {
                throw new FuzzFailure($"refusal with offset {e.Offset}, path '{e.Path}' for {input.Length} bytes of input");
            }

            return;
        }

        var encoded = CanonicalJson.Encode(value);
        var again = CanonicalJson.Canonicalize(encoded, Limits);
        if (!again.AsSpan().SequenceEqual(encoded))
        {
            throw new FuzzFailure("Encode(Parse(x)) is not a fixed point of Canonicalize");
        }

        var reparsed = CanonicalJson.Parse(encoded, Limits);
        if (!reparsed.Equals(value) || reparsed.GetHashCode() != value.GetHashCode())
        {
            throw new FuzzFailure("Parse(Encode(Parse(x))) differs from Parse(x)");
        }

        if (value is JsonObject obj)
        {
            // What a signer hashes: must succeed for every accepted object, and be canonical itself.
            var signing = CanonicalJson.EncodeForSigning(obj);
            if (!CanonicalJson.Canonicalize(signing, Limits).AsSpan().SequenceEqual(signing))
            {
                throw new FuzzFailure("EncodeForSigning(Parse(x)) is not canonical");
            }
        }
    }
}
