using System.Collections;
using System.Text;

namespace KeyCustody.Matrix.Json;

/// <summary>
/// An immutable JSON object. Keys are unique and kept in canonical order (by code point), so writing
/// it never sorts. Modifications return new objects.
/// </summary>
public sealed class JsonObject : JsonValue, IReadOnlyCollection<KeyValuePair<string, JsonValue>>
{
    public static readonly JsonObject Empty = new([], [], true);

    private readonly JsonString[] _keys;
    private readonly JsonValue[] _values;

    /// <summary>Builds an object; throws <see cref="ArgumentException"/> on a duplicate key.</summary>
    public JsonObject(IEnumerable<KeyValuePair<string, JsonValue>> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var list = new List<(JsonString Key, JsonValue Value)>();
        foreach (var (k, v) in members)
        {
            ArgumentNullException.ThrowIfNull(v, nameof(members));
            list.Add((new JsonString(k), v));
        }

        list.Sort(static (a, b) => a.Key.CompareTo(b.Key));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i - 1].Key.Equals(list[i].Key))
            {
                throw new ArgumentException($"duplicate key \"{list[i].Key.Value}\"", nameof(members));
            }
        }

        _keys = new JsonString[list.Count];
        _values = new JsonValue[list.Count];
        for (var i = 0; i < list.Count; i++)
        {
            (_keys[i], _values[i]) = list[i];
        }
    }

    /// <summary>Takes ownership of arrays already sorted by key with no duplicates.</summary>
    internal JsonObject(JsonString[] sortedKeys, JsonValue[] values, bool _)
    {
        _keys = sortedKeys;
        _values = values;
    }

    public override JsonKind Kind => JsonKind.Object;

    public int Count => _keys.Length;

    internal ReadOnlySpan<JsonString> Keys => _keys;

    internal ReadOnlySpan<JsonValue> Values => _values;

    public IEnumerable<string> PropertyNames => _keys.Select(k => k.Value);

    /// <summary>The value of <paramref name="key"/>, or null when the object has no such member.</summary>
    public JsonValue? this[string key] => TryGetValue(key, out var v) ? v : null;

    public static JsonObject Of(params ReadOnlySpan<(string Key, JsonValue Value)> members)
    {
        var list = new List<KeyValuePair<string, JsonValue>>(members.Length);
        foreach (var (k, v) in members)
        {
            list.Add(new(k, v));
        }

        return new JsonObject(list);
    }

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool TryGetValue(string key, out JsonValue value)
    {
        var i = IndexOf(key);
        value = i >= 0 ? _values[i] : JsonNull.Instance;
        return i >= 0;
    }

    /// <summary>The member as a string, or null when absent or not a string.</summary>
    public string? GetString(string key) => this[key] is JsonString s ? s.Value : null;

    /// <summary>The member as an object, or null when absent or not an object.</summary>
    public JsonObject? GetObject(string key) => this[key] as JsonObject;

    /// <summary>The member as an array, or null when absent or not an array.</summary>
    public JsonArray? GetArray(string key) => this[key] as JsonArray;

    /// <summary>A copy with <paramref name="key"/> set to <paramref name="value"/> (added or replaced).</summary>
    public JsonObject With(string key, JsonValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(key);

        // Looked up first: a member replaced keeps its key, and only a new member's key is made.
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> buffer = max <= 256 ? stackalloc byte[256] : new byte[max];
        var i = System.Text.Unicode.Utf8.FromUtf16(key, buffer, out _, out var n, replaceInvalidSequences: false) == System.Buffers.OperationStatus.Done
            ? BinarySearch(buffer[..n])
            : ~0;
        if (i >= 0)
        {
            var values = (JsonValue[])_values.Clone();
            values[i] = value;
            return new JsonObject(_keys, values, true);
        }

        // A lone surrogate in the key throws here, as it always did.
        return Inserted(new JsonString(key), value);
    }

    /// <summary>A copy with <paramref name="key"/> (a key made once and shared, such as a signing key's id) set to <paramref name="value"/>.</summary>
    internal JsonObject With(JsonString key, JsonValue value)
    {
        var i = BinarySearch(key.Utf8Bytes);
        if (i >= 0)
        {
            var values = (JsonValue[])_values.Clone();
            values[i] = value;
            return new JsonObject(_keys, values, true);
        }

        return Inserted(key, value);
    }

    /// <summary>A copy with the new member <paramref name="k"/> (not a key of this object).</summary>
    private JsonObject Inserted(JsonString k, JsonValue value)
    {
        var i = ~BinarySearch(k.Utf8Bytes);
        var keys = new JsonString[_keys.Length + 1];
        var vals = new JsonValue[_keys.Length + 1];
        Array.Copy(_keys, keys, i);
        Array.Copy(_values, vals, i);
        keys[i] = k;
        vals[i] = value;
        Array.Copy(_keys, i, keys, i + 1, _keys.Length - i);
        Array.Copy(_values, i, vals, i + 1, _values.Length - i);
        return new JsonObject(keys, vals, true);
    }

    /// <summary>A copy without the named members (absent names are ignored).</summary>
    public JsonObject Without(params ReadOnlySpan<string> names)
    {
        var drop = new List<int>();
        foreach (var name in names)
        {
            var i = IndexOf(name);
            if (i >= 0 && !drop.Contains(i))
            {
                drop.Add(i);
            }
        }

        if (drop.Count == 0)
        {
            return this;
        }

        var keys = new JsonString[_keys.Length - drop.Count];
        var vals = new JsonValue[keys.Length];
        var j = 0;
        for (var i = 0; i < _keys.Length; i++)
        {
            if (!drop.Contains(i))
            {
                keys[j] = _keys[i];
                vals[j++] = _values[i];
            }
        }

        return new JsonObject(keys, vals, true);
    }

    public IEnumerator<KeyValuePair<string, JsonValue>> GetEnumerator()
    {
        for (var i = 0; i < _keys.Length; i++)
        {
            yield return new(_keys[i].Value, _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override bool Equals(JsonValue? other)
    {
        if (other is not JsonObject o || o._keys.Length != _keys.Length)
        {
            return false;
        }

        for (var i = 0; i < _keys.Length; i++)
        {
            if (!_keys[i].Equals(o._keys[i]) || !_values[i].Equals(o._values[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override int GetHashCode()
    {
        var h = new HashCode();
        for (var i = 0; i < _keys.Length; i++)
        {
            h.Add(_keys[i].GetHashCode());
            h.Add(_values[i].GetHashCode());
        }

        return h.ToHashCode();
    }

    private int IndexOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var max = Encoding.UTF8.GetMaxByteCount(key.Length);
        Span<byte> buffer = max <= 256 ? stackalloc byte[256] : new byte[max];
        // A lone surrogate cannot be a canonical key, so it names no member (rather than matching U+FFFD).
        if (System.Text.Unicode.Utf8.FromUtf16(key, buffer, out _, out var n, replaceInvalidSequences: false) != System.Buffers.OperationStatus.Done)
        {
            return -1;
        }

        var i = BinarySearch(buffer[..n]);
        return i >= 0 ? i : -1;
    }

    private int BinarySearch(ReadOnlySpan<byte> key)
    {
        int lo = 0, hi = _keys.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = _keys[mid].Utf8Bytes.SequenceCompareTo(key);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }
}
