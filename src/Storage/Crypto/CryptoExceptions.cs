using Bunker.Index;

namespace Bunker.Storage.Crypto;

/// <summary>The base of every failure Bunker's encryption layer reports about keys or sealed data.</summary>
public class BunkerCryptoException : Exception
{
    public BunkerCryptoException(string message) : base(message) { }
    public BunkerCryptoException(string message, Exception? innerException) : base(message, innerException) { }
}

/// <summary>
/// The master key given does not open a repository's data key: it is another key or passphrase,
/// the envelope belongs to another repository, or the envelope was altered.
/// </summary>
public sealed class WrongMasterKeyException : BunkerCryptoException
{
    public WrongMasterKeyException(RepositoryId repository, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Repository = repository;
    }

    public RepositoryId Repository { get; }
}

/// <summary>
/// A sealed record failed AES-GCM authentication: its bytes were altered, or it was sealed for
/// another chunk digest, another domain or another repository.
/// </summary>
public sealed class ChunkAuthenticationException : BunkerCryptoException
{
    public ChunkAuthenticationException(string message, Exception? innerException = null)
        : base(message, innerException) { }
}
