using System.Collections;

namespace KeyCustody.Matrix.Json;

/// <summary>An immutable JSON array.</summary>
public sealed class JsonArray : JsonValue, IReadOnlyList<JsonValue>
{
    public static readonly JsonArray Empty = new([]);

    private readonly JsonValue[] _items;

    public JsonArray(params IEnumerable<JsonValue> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _items = [.. items];
        foreach (var item in _items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
        }
    }

    /// <summary>Takes ownership of an array the caller will not touch again.</summary>
    internal JsonArray(JsonValue[] owned, bool _) => _items = owned;

    public override JsonKind Kind => JsonKind.Array;

    public int Count => _items.Length;

    public JsonValue this[int index] => _items[index];

    internal ReadOnlySpan<JsonValue> Items => _items;

    public IEnumerator<JsonValue> GetEnumerator() => ((IEnumerable<JsonValue>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public override bool Equals(JsonValue? other)
    {
        if (other is not JsonArray a || a._items.Length != _items.Length)
        {
            return false;
        }

        for (var i = 0; i < _items.Length; i++)
        {
            if (!_items[i].Equals(a._items[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(_items.Length);
        foreach (var item in _items)
        {
            h.Add(item.GetHashCode());
        }

        return h.ToHashCode();
    }
}
