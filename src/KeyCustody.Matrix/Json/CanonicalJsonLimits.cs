namespace KeyCustody.Matrix.Json;

/// <summary>Resource limits for the strict reader. Input beyond them is refused, never truncated.</summary>
public sealed record CanonicalJsonLimits
{
    /// <summary>Default nesting limit: 128 arrays/objects deep (serde_json allows 127, CPython about 1000).</summary>
    public const int DefaultMaxDepth = 128;

    /// <summary>Default size limit: 4 MiB of input, enough for a large <c>/keys/query</c> response.</summary>
    public const int DefaultMaxBytes = 4 * 1024 * 1024;

    public static readonly CanonicalJsonLimits Default = new();

    /// <summary>Maximum number of nested arrays and objects; the top-level container counts as 1.</summary>
    public int MaxDepth { get; init; } = DefaultMaxDepth;

    /// <summary>Maximum input size in bytes.</summary>
    public int MaxBytes { get; init; } = DefaultMaxBytes;
}
