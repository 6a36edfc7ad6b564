using System.Collections;
using System.Text;

namespace Bunker.Protocol.Grpc;

/// <summary>
/// Call headers or trailers. Keys are lower-case ASCII; a key ending in <c>-bin</c> carries bytes
/// (base64 on the wire), any other key carries a printable ASCII string.
/// </summary>
public sealed class Metadata : IList<Metadata.Entry>
{
    public const string BinaryHeaderSuffix = "-bin";

    private readonly List<Entry> _entries = [];

    public static readonly Metadata Empty = new() { _readOnly = true };

    private bool _readOnly;

    public void Add(string key, string value) => Add(new Entry(key, value));

    public void Add(string key, byte[] valueBytes) => Add(new Entry(key, valueBytes));

    public Entry? Get(string key)
    {
        var normalized = Entry.NormalizeKey(key);
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Key == normalized) return _entries[i];
        }
        return null;
    }

    public string? GetValue(string key) => Get(key)?.Value;

    public byte[]? GetValueBytes(string key) => Get(key)?.ValueBytes;

    public IEnumerable<Entry> GetAll(string key)
    {
        var normalized = Entry.NormalizeKey(key);
        return _entries.Where(e => e.Key == normalized);
    }

    public Entry this[int index]
    {
        get => _entries[index];
        set { CheckWritable(); _entries[index] = value; }
    }

    public int Count => _entries.Count;
    public bool IsReadOnly => _readOnly;
    public void Add(Entry item) { CheckWritable(); _entries.Add(item ?? throw new ArgumentNullException(nameof(item))); }
    public void Clear() { CheckWritable(); _entries.Clear(); }
    public bool Contains(Entry item) => _entries.Contains(item);
    public void CopyTo(Entry[] array, int arrayIndex) => _entries.CopyTo(array, arrayIndex);
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    public int IndexOf(Entry item) => _entries.IndexOf(item);
    public void Insert(int index, Entry item) { CheckWritable(); _entries.Insert(index, item); }
    public bool Remove(Entry item) { CheckWritable(); return _entries.Remove(item); }
    public void RemoveAt(int index) { CheckWritable(); _entries.RemoveAt(index); }

    private void CheckWritable()
    {
        if (_readOnly) throw new InvalidOperationException("This metadata is read-only.");
    }

    /// <summary>One key and its value (string or bytes, by the key's suffix).</summary>
    public sealed class Entry
    {
        private readonly string? _value;
        private readonly byte[]? _valueBytes;

        public Entry(string key, string value)
        {
            Key = NormalizeKey(key);
            if (IsBinaryKey(Key)) throw new ArgumentException($"Key '{Key}' ends in '-bin': give its value as bytes.", nameof(key));
            ArgumentNullException.ThrowIfNull(value);
            foreach (var c in value)
            {
                if (c < 0x20 || c > 0x7E) throw new ArgumentException($"Value of '{Key}' must be printable ASCII.", nameof(value));
            }
            _value = value;
        }

        public Entry(string key, byte[] valueBytes)
        {
            Key = NormalizeKey(key);
            if (!IsBinaryKey(Key)) throw new ArgumentException($"Key '{Key}' carries bytes, so it must end in '-bin'.", nameof(key));
            _valueBytes = (byte[])(valueBytes ?? throw new ArgumentNullException(nameof(valueBytes))).Clone();
        }

        public string Key { get; }
        public bool IsBinary => _valueBytes is not null;

        public string Value => _value ?? throw new InvalidOperationException($"'{Key}' is a binary entry; use ValueBytes.");

        public byte[] ValueBytes => _valueBytes is not null ? (byte[])_valueBytes.Clone() : Encoding.ASCII.GetBytes(_value!);

        public override string ToString() => IsBinary ? $"{Key}: {Convert.ToBase64String(_valueBytes!)}" : $"{Key}: {_value}";

        internal static bool IsBinaryKey(string key) => key.EndsWith(BinaryHeaderSuffix, StringComparison.Ordinal);

        internal static string NormalizeKey(string key)
        {
            ArgumentException.ThrowIfNullOrEmpty(key);
            var lower = key.ToLowerInvariant();
            foreach (var c in lower)
            {
                var ok = c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.';
                if (!ok) throw new ArgumentException($"Metadata key '{key}' may hold only 0-9 a-z - _ .", nameof(key));
            }
            return lower;
        }
    }
}
