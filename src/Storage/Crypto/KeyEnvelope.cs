using System.Text.Json;
using System.Text.Unicode;

namespace Bunker.Storage.Crypto;

/// <summary>
/// A repository's wrapped data key, stored as an object in the repository: the KDF parameters
/// that turn the master key into the repository's key-encryption key, and the data key sealed
/// under it (<c>nonce(12) || ciphertext(32) || tag(16)</c>, AES-256-GCM with associated data
/// "bunker/data-key/v1" || repositoryId). Serialised as JSON:
/// <code>
/// {"version":1,"kdf":{"algorithm":"scrypt","salt":"&lt;base64&gt;","n":131072,"r":8,"p":1},"wrappedKey":"&lt;base64&gt;"}
/// </code>
/// (<c>hkdf-sha256</c> has no n, r or p). Nothing in it is secret; altering it only makes the
/// repository fail to open.
/// </summary>
public sealed class KeyEnvelope
{
    public const int CurrentVersion = 1;
    public const int WrappedKeySize = AeadRecord.Overhead + DataKey.Size;

    /// <summary>Envelopes larger than this are refused unparsed.</summary>
    public const int MaxJsonBytes = 16 * 1024;

    private readonly byte[] _wrappedKey;

    public KeyEnvelope(KdfParameters kdf, ReadOnlySpan<byte> wrappedKey, int version = CurrentVersion)
    {
        ArgumentNullException.ThrowIfNull(kdf);
        if (version != CurrentVersion)
            throw new ArgumentException($"key envelope version {version} is not supported (this build reads version {CurrentVersion})", nameof(version));
        if (wrappedKey.Length != WrappedKeySize)
            throw new ArgumentException($"a wrapped data key is {WrappedKeySize} bytes, got {wrappedKey.Length}", nameof(wrappedKey));
        Kdf = kdf;
        Version = version;
        _wrappedKey = wrappedKey.ToArray();
    }

    public int Version { get; }
    public KdfParameters Kdf { get; }
    public ReadOnlySpan<byte> WrappedKey => _wrappedKey;

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("version", Version);
            writer.WriteStartObject("kdf");
            writer.WriteString("algorithm", Kdf.Algorithm);
            writer.WriteBase64String("salt", Kdf.Salt);
            if (Kdf.Algorithm == KdfParameters.ScryptAlgorithm)
            {
                writer.WriteNumber("n", Kdf.N);
                writer.WriteNumber("r", Kdf.R);
                writer.WriteNumber("p", Kdf.P);
            }
            writer.WriteEndObject();
            writer.WriteBase64String("wrappedKey", _wrappedKey);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Parses an envelope written by <see cref="ToJson"/>, strictly: unknown, missing or repeated fields are refused.</summary>
    /// <exception cref="InvalidDataException">The input is not a well-formed key envelope.</exception>
    public static KeyEnvelope FromJson(ReadOnlySpan<byte> json)
    {
        if (json.Length > MaxJsonBytes)
            throw Malformed($"it is {json.Length} bytes, more than the {MaxJsonBytes}-byte limit");
        // JsonDocument leaves string contents unchecked until they are read, and then throws
        // InvalidOperationException; refuse invalid UTF-8 up front.
        if (!Utf8.IsValid(json))
            throw Malformed("it is not valid UTF-8");
        try
        {
            using JsonDocument document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
            var root = Fields(document.RootElement, "the envelope", "version", "kdf", "wrappedKey");
            int version = Integer(root, "version");
            if (version != CurrentVersion)
                throw Malformed($"version {version} is not supported (this build reads version {CurrentVersion})");

            var kdfFields = Fields(Required(root, "kdf"), "kdf", "algorithm", "salt", "n", "r", "p");
            string algorithm = Text(kdfFields, "algorithm");
            bool isScrypt = algorithm == KdfParameters.ScryptAlgorithm;
            if (!isScrypt && (kdfFields.ContainsKey("n") || kdfFields.ContainsKey("r") || kdfFields.ContainsKey("p")))
                throw Malformed($"kdf algorithm '{algorithm}' takes no n, r or p");
            var kdf = new KdfParameters(
                algorithm,
                Bytes(kdfFields, "salt"),
                isScrypt ? Integer(kdfFields, "n") : 0,
                isScrypt ? Integer(kdfFields, "r") : 0,
                isScrypt ? Integer(kdfFields, "p") : 0);
            try
            {
                kdf.Validate(enforceFloor: false);
            }
            catch (InvalidDataException e)
            {
                throw Malformed(e.Message, e);
            }

            byte[] wrapped = Bytes(root, "wrappedKey");
            if (wrapped.Length != WrappedKeySize)
                throw Malformed($"wrappedKey is {wrapped.Length} bytes; expected {WrappedKeySize}");
            return new KeyEnvelope(kdf, wrapped, version);
        }
        catch (JsonException e)
        {
            throw Malformed($"it is not valid JSON ({e.Message})", e);
        }
        catch (InvalidOperationException e)
        {
            // A string escape that is not valid Unicode (an unpaired surrogate such as \ud800).
            throw Malformed($"it holds text that is not valid Unicode ({e.Message})", e);
        }
    }

    private const string MalformedPrefix = "malformed key envelope: ";

    private static InvalidDataException Malformed(string detail, Exception? inner = null) =>
        new(MalformedPrefix + detail, inner);

    /// <summary>The properties of an object, refusing anything but the allowed names, and any name twice.</summary>
    private static Dictionary<string, JsonElement> Fields(JsonElement element, string what, params string[] allowed)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw Malformed($"{what} must be a JSON object, not {element.ValueKind}");
        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (Array.IndexOf(allowed, property.Name) < 0)
                throw Malformed($"{what} has an unknown field '{property.Name}'");
            if (!fields.TryAdd(property.Name, property.Value))
                throw Malformed($"{what} has the field '{property.Name}' twice");
        }
        return fields;
    }

    private static JsonElement Required(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out JsonElement value) ? value : throw Malformed($"the field '{name}' is missing");

    private static int Integer(Dictionary<string, JsonElement> fields, string name)
    {
        JsonElement value = Required(fields, name);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int result)
            ? result
            : throw Malformed($"the field '{name}' must be a 32-bit integer");
    }

    private static string Text(Dictionary<string, JsonElement> fields, string name)
    {
        JsonElement value = Required(fields, name);
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw Malformed($"the field '{name}' must be a string");
    }

    private static byte[] Bytes(Dictionary<string, JsonElement> fields, string name)
    {
        JsonElement value = Required(fields, name);
        return value.ValueKind == JsonValueKind.String && value.TryGetBytesFromBase64(out byte[]? bytes)
            ? bytes
            : throw Malformed($"the field '{name}' must be a base64 string");
    }
}
