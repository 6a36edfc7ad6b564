using System.Text;
using System.Text.Json;
using Bunker.Index;
using Bunker.Storage.Crypto;

namespace Bunker.Storage;

/// <summary>
/// The repository's <c>config</c> object: its id, format version and the data key wrapped by the
/// master key. It is plain JSON so an operator can read what a store is without any tool, and it
/// is the one thing besides the master key needed to open the packs on a new machine.
/// </summary>
public sealed record RepositoryConfig(int Version, RepositoryId Id, DateTimeOffset Created, KeyEnvelope Keys)
{
    public const int CurrentVersion = 1;

    public byte[] ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", "bunker-repository");
            writer.WriteNumber("version", Version);
            writer.WriteString("id", Id.ToString());
            writer.WriteString("created", Created);
            writer.WritePropertyName("keys");
            writer.WriteRawValue(Keys.ToJson());
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    /// <summary>Parses a config object; anything malformed is an <see cref="InvalidDataException"/> that says what.</summary>
    public static RepositoryConfig FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 16 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != "bunker-repository")
                throw new InvalidDataException("the config object is not a Bunker repository config");
            int version = Required(root, "version").GetInt32();
            if (version != CurrentVersion)
                throw new InvalidDataException($"the repository format version {version} is not supported (this build reads {CurrentVersion})");
            var id = RepositoryId.Parse(Required(root, "id").GetString() ?? "");
            var created = Required(root, "created").GetDateTimeOffset();
            var keys = KeyEnvelope.FromJson(Encoding.UTF8.GetBytes(Required(root, "keys").GetRawText()));
            return new RepositoryConfig(version, id, created, keys);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"the repository config object is malformed: {e.Message}", e);
        }
    }

    private static JsonElement Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value : throw new InvalidDataException($"the repository config has no '{name}'");
}
