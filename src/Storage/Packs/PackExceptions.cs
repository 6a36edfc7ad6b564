using Bunker.Chunking;
using Bunker.Index;
using Bunker.Storage.Stores;

namespace Bunker.Storage.Packs;

/// <summary>
/// A pack could not give back what the index says it holds. The message always names the pack,
/// and the chunk when one was being read, so an operator knows exactly what is damaged.
/// </summary>
public class PackException : StoreException
{
    public PackException(PackId pack, ChunkDigest? chunk, string problem, Exception? inner = null)
        : base(Describe(pack, chunk, problem), inner)
    {
        Pack = pack;
        Chunk = chunk;
    }

    public PackId Pack { get; }
    public ChunkDigest? Chunk { get; }

    private static string Describe(PackId pack, ChunkDigest? chunk, string problem) =>
        chunk is { } c ? $"pack {pack}: chunk {c}: {problem}" : $"pack {pack}: {problem}";
}

/// <summary>The pack's bytes fail authentication or do not parse: damaged, tampered, or another key's.</summary>
public sealed class PackCorruptException(PackId pack, ChunkDigest? chunk, string problem, Exception? inner = null)
    : PackException(pack, chunk, problem, inner);

/// <summary>The store has no object for the pack.</summary>
public sealed class PackMissingException(PackId pack, ChunkDigest? chunk, Exception? inner = null)
    : PackException(pack, chunk, "the pack is missing from the store", inner);

/// <summary>The pack is shorter than its table or the index says it must be.</summary>
public sealed class PackTruncatedException(PackId pack, ChunkDigest? chunk, string problem, Exception? inner = null)
    : PackException(pack, chunk, problem, inner);
