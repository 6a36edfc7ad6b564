using System.Text;

namespace Bunker.Client.Postgres.Tar;

/// <summary>
/// Reads only what a restore needs to know before it writes: the text of small members by name, e.g.
/// "backup_label" (which pg_basebackup puts first) — used by tests and by restore checks.
/// </summary>
public static class TarMembers
{
    /// <summary>
    /// Returns the content of the first regular file named <paramref name="name"/> (both names without leading
    /// "./"), truncated to <paramref name="maxBytes"/>, or null if the stream ends (at its end marker) without it.
    /// Reads the stream forward only, and no further than that member's data.
    /// </summary>
    /// <exception cref="TarFormatException">The stream is malformed or truncated before the member is found.</exception>
    public static async Task<byte[]?> ReadMemberAsync(Stream tar, string name, int maxBytes, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(tar);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var wanted = TarPath.WithoutDotSlash(Encoding.UTF8.GetBytes(name)).ToArray();
        using var reader = new TarReader(tar);
        while (await reader.NextAsync(ct) is { } member)
        {
            if (!member.IsRegularFile || !TarPath.WithoutDotSlash(member.Name).SequenceEqual(wanted)) continue;
            var content = new byte[(int)Math.Min(member.Size, maxBytes)];
            int filled = 0;
            while (filled < content.Length)
            {
                var piece = await reader.ReadDataAsync(ct);
                int take = Math.Min(piece.Length, content.Length - filled);
                piece.Span[..take].CopyTo(content.AsSpan(filled));
                filled += take;
            }
            return content;
        }
        return null;
    }
}
