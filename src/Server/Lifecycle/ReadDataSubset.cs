using System.Buffers.Binary;
using System.Globalization;
using Bunker.Index;

namespace Bunker.Server.Lifecycle;

/// <summary>
/// Which packs a partial <c>check --read-data-subset</c> reads: <c>P%</c> picks each pack with probability P (fresh each
/// run, so repeated runs cover everything in time), <c>N/M</c> the N-th of M fixed groups by pack id (so M runs, one per
/// group, read every pack exactly once).
/// </summary>
public static class ReadDataSubset
{
    /// <summary>The pack predicate, or null for every pack (empty text, "100%", "1/1").</summary>
    /// <exception cref="ArgumentException">Not P% with 0 &lt; P ≤ 100, nor N/M with 1 ≤ N ≤ M ≤ 1000000.</exception>
    public static Func<PackId, bool>? Parse(string text)
    {
        if (text.Length == 0) return null;
        if (text.EndsWith('%'))
        {
            if (!double.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double percent)
                || percent <= 0 || percent > 100)
                throw new ArgumentException($"read-data-subset '{Shown(text)}': a percentage must be more than 0 and at most 100");
            if (percent == 100) return null;
            double share = percent / 100;
            var random = new Random();
            var gate = new Lock();
            return _ => { lock (gate) return random.NextDouble() < share; };
        }
        int slash = text.IndexOf('/');
        if (slash <= 0 || !uint.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out uint n)
            || !uint.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out uint m) || n < 1 || n > m || m > 1_000_000)
            throw new ArgumentException($"read-data-subset '{Shown(text)}' is not P% or N/M (1 ≤ N ≤ M)");
        if (m == 1) return null;
        return pack => Group(pack, m) == n - 1;
    }

    /// <summary>For a schedule: group N/M where N turns with each run, so successive runs sweep all M groups.</summary>
    public static string Rotate(string text, ulong run)
    {
        int slash = text.IndexOf('/');
        if (text.EndsWith('%') || slash <= 0) return text;
        uint m = uint.Parse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{run % m + 1}/{m}");
    }

    /// <summary>The group 0..m-1 a pack falls in: its id is a hash, so the groups are even.</summary>
    public static uint Group(PackId pack, uint m)
    {
        Span<byte> id = stackalloc byte[PackId.Size];
        pack.CopyTo(id);
        return (uint)(BinaryPrimitives.ReadUInt64BigEndian(id) % m);
    }

    private static string Shown(string text) => text.Length > 40 ? text[..40] + "…" : text;
}
