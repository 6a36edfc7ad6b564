using System.Security.Cryptography;
using Bunker.Index;
using Bunker.Storage.Crypto;

namespace Bunker.Bench.Workloads;

/// <summary>A throw-away master key and a repository's cipher under it, as a real repository would derive them.</summary>
internal sealed class BenchKeys : IDisposable
{
    private readonly DataKey _dataKey;

    public BenchKeys()
    {
        Master = MasterKey.FromBytes(RandomNumberGenerator.GetBytes(MasterKey.KeySize));
        Repository = RepositoryId.New();
        (_dataKey, _) = RepositoryKeys.Create(Master, Repository);
        Cipher = new ChunkCipher(_dataKey, Repository);
    }

    public MasterKey Master { get; }
    public RepositoryId Repository { get; }
    public ChunkCipher Cipher { get; }

    public void Dispose()
    {
        Cipher.Dispose();
        _dataKey.Dispose();
        Master.Dispose();
    }
}
