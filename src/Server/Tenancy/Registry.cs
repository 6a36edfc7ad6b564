using System.Security.Cryptography;
using System.Text;
using Bunker.Index;
using Bunker.Protocol.V1;
using Google.Protobuf;

namespace Bunker.Server.Tenancy;

/// <summary>Why a presented token was refused. Each becomes UNAUTHENTICATED with its own message.</summary>
public enum TokenRefusal { None, Malformed, Unknown, Expired, Revoked }

/// <summary>
/// Tenants, repositories and tokens, kept in the index's meta family under "reg/". Reads go to
/// RocksDB every time (a point lookup costs microseconds), so a revocation takes effect on the
/// very next call. Creations are serialised so that check-then-put cannot race.
/// </summary>
public sealed class Registry
{
    private static readonly byte[] TenantPrefix = "reg/tenant/"u8.ToArray();
    private static readonly byte[] RepositoryPrefix = "reg/repo/"u8.ToArray();
    private static readonly byte[] TokenPrefix = "reg/token/"u8.ToArray();
    private static readonly byte[] BootstrapKey = "reg/bootstrap"u8.ToArray();

    private readonly BunkerIndex _index;
    private readonly TimeProvider _time;
    private readonly Lock _writeLock = new();
    private byte[]? _environmentAdminHash;

    public Registry(BunkerIndex index, TimeProvider? time = null)
    {
        _index = index;
        _time = time ?? TimeProvider.System;
    }

    private long Now => _time.GetUtcNow().ToUnixTimeSeconds();

    // ---- tenants -------------------------------------------------------------------------------

    public TenantRecord CreateTenant(string name)
    {
        Names.Check(name, "tenant");
        lock (_writeLock)
        {
            if (TryGetTenant(name, out _))
                throw new RegistryConflictException($"tenant '{name}' already exists");
            var record = new TenantRecord { Name = name, CreatedUnix = Now };
            Put(Key(TenantPrefix, name), record);
            return record;
        }
    }

    public bool TryGetTenant(string name, out TenantRecord record) => TryRead(Key(TenantPrefix, name), TenantRecord.Parser, out record);

    public List<TenantRecord> ListTenants() => Scan(TenantPrefix, TenantRecord.Parser);

    // ---- repositories --------------------------------------------------------------------------

    /// <summary>Records a repository whose store has been created. The tenant must exist.</summary>
    /// <param name="store">The named store that holds it ("local" for the data directory's).</param>
    public RepositoryRecord AddRepository(string tenant, string name, RepositoryId id, string store = "local")
    {
        lock (_writeLock)
        {
            if (!TryGetTenant(tenant, out _))
                throw new RegistryNotFoundException($"tenant '{tenant}' not found");
            if (TryGetRepository(tenant, name, out _))
                throw new RegistryConflictException($"repository '{tenant}/{name}' already exists");
            var record = new RepositoryRecord { Tenant = tenant, Name = name, Id = ByteString.CopyFrom(id.ToArray()), CreatedUnix = Now, Store = store == "local" ? "" : store };
            Put(Key(RepositoryPrefix, tenant + "/" + name), record);
            return record;
        }
    }

    public bool TryGetRepository(string tenant, string name, out RepositoryRecord record)
    {
        record = null!;
        return Names.IsValid(tenant) && Names.IsValid(name) && TryRead(Key(RepositoryPrefix, tenant + "/" + name), RepositoryRecord.Parser, out record);
    }

    public List<RepositoryRecord> ListRepositories(string tenant) => Scan(Key(RepositoryPrefix, tenant + "/"), RepositoryRecord.Parser);

    // ---- tokens --------------------------------------------------------------------------------

    /// <summary>Creates a token and returns it with its record. The token text exists only in the result.</summary>
    public (string Token, TokenRecord Record) CreateToken(string tenant, IReadOnlyCollection<Role> roles, string? repository, TimeSpan? lifetime, string? description)
    {
        if (roles.Count == 0)
            throw new ArgumentException("a token needs at least one role");
        foreach (var role in roles)
        {
            if (role is not (Role.Admin or Role.Backup or Role.Restore or Role.Operator))
                throw new ArgumentException($"role {(int)role} is not known");
        }
        if (lifetime is { } ttl && ttl <= TimeSpan.Zero)
            throw new ArgumentException("a token's lifetime must be positive");
        if (description is { Length: > 256 })
            throw new ArgumentException("a token's description may have at most 256 characters");
        lock (_writeLock)
        {
            if (!TryGetTenant(tenant, out _))
                throw new RegistryNotFoundException($"tenant '{tenant}' not found");
            if (!string.IsNullOrEmpty(repository) && !TryGetRepository(tenant, repository, out _))
                throw new RegistryNotFoundException($"repository '{tenant}/{repository}' not found");
            var (token, id, hash) = TokenCodec.Generate();
            var record = new TokenRecord
            {
                Id = ByteString.CopyFrom(id),
                SecretHash = ByteString.CopyFrom(hash),
                Tenant = tenant,
                Repository = repository ?? "",
                CreatedUnix = Now,
                ExpiresUnix = lifetime is { } life ? Now + (long)Math.Ceiling(life.TotalSeconds) : 0,
                Description = description ?? "",
            };
            record.Roles.AddRange(roles);
            Put(TokenKey(id), record);
            return (token, record);
        }
    }

    public List<TokenRecord> ListTokens(string? tenant)
    {
        var all = Scan(TokenPrefix, TokenRecord.Parser);
        if (tenant is not null)
            all.RemoveAll(t => t.Tenant != tenant);
        return all;
    }

    public bool TryGetToken(string id, out TokenRecord record)
    {
        record = null!;
        if (id.Length != 2 * TokenCodec.IdBytes) return false;
        byte[] raw;
        try { raw = Convert.FromHexString(id); }
        catch (FormatException) { return false; }
        return TryRead(TokenKey(raw), TokenRecord.Parser, out record);
    }

    /// <summary>Revokes a token; revoking twice keeps the first time.</summary>
    public TokenRecord RevokeToken(TokenRecord record)
    {
        lock (_writeLock)
        {
            if (!TryRead(TokenKey(record.Id.Span), TokenRecord.Parser, out var current))
                throw new RegistryNotFoundException("token not found");
            if (current.RevokedUnix == 0)
            {
                current.RevokedUnix = Now;
                Put(TokenKey(current.Id.Span), current);
            }
            return current;
        }
    }

    /// <summary>Checks a bearer token. On success the principal says who is calling.</summary>
    public TokenRefusal Authenticate(string? token, out Principal? principal)
    {
        principal = null;
        if (string.IsNullOrEmpty(token))
            return TokenRefusal.Malformed;
        if (_environmentAdminHash is { } envHash && CryptographicOperations.FixedTimeEquals(envHash, SHA256.HashData(Encoding.UTF8.GetBytes(token))))
        {
            principal = new Principal("environment", Names.SystemTenant, [Role.Admin], null, null);
            return TokenRefusal.None;
        }
        if (!TokenCodec.TryParse(token, out var id, out var secretHash))
            return TokenRefusal.Malformed;
        if (!TryRead(TokenKey(id), TokenRecord.Parser, out var record)
            || !CryptographicOperations.FixedTimeEquals(record.SecretHash.Span, secretHash))
            return TokenRefusal.Unknown;
        if (record.RevokedUnix != 0)
            return TokenRefusal.Revoked;
        if (record.ExpiresUnix != 0 && record.ExpiresUnix <= Now)
            return TokenRefusal.Expired;
        principal = new Principal(TokenCodec.IdToString(id), record.Tenant, [.. record.Roles],
            string.IsNullOrEmpty(record.Repository) ? null : record.Repository,
            record.ExpiresUnix == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(record.ExpiresUnix));
        return TokenRefusal.None;
    }

    // ---- bootstrap -----------------------------------------------------------------------------

    /// <summary>
    /// Accepts <paramref name="token"/> (from BUNKER_ADMIN_TOKEN) as a server admin token for this
    /// process's life. It is held only as a hash and never stored.
    /// </summary>
    public void AcceptEnvironmentAdminToken(string token)
    {
        if (token.Length < 32)
            throw new ArgumentException("BUNKER_ADMIN_TOKEN must be at least 32 characters (use a random value)");
        _environmentAdminHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
    }

    /// <summary>
    /// Ensures the system tenant exists and, on the very first start only, creates the bootstrap
    /// admin token and hands it to <paramref name="persist"/> (which writes DIR/admin.token) before
    /// recording that bootstrap happened. Returns true when a token was created.
    /// </summary>
    public bool Bootstrap(bool generateToken, Action<string> persist)
    {
        lock (_writeLock)
        {
            if (!TryGetTenant(Names.SystemTenant, out _))
                Put(Key(TenantPrefix, Names.SystemTenant), new TenantRecord { Name = Names.SystemTenant, CreatedUnix = Now });
            if (_index.Meta.TryGet(BootstrapKey, out _) || !generateToken)
                return false;
        }
        var (token, _) = CreateToken(Names.SystemTenant, [Role.Admin], null, null, "bootstrap admin token");
        persist(token);
        using var batch = _index.CreateBatch();
        batch.PutMeta(BootstrapKey, []);
        _index.Write(batch);
        return true;
    }

    // ---- storage helpers -----------------------------------------------------------------------

    private static byte[] Key(byte[] prefix, string name)
    {
        var key = new byte[prefix.Length + Encoding.UTF8.GetByteCount(name)];
        prefix.CopyTo(key, 0);
        Encoding.UTF8.GetBytes(name, key.AsSpan(prefix.Length));
        return key;
    }

    private static byte[] TokenKey(ReadOnlySpan<byte> id) => [.. TokenPrefix, .. id];

    private void Put(byte[] key, IMessage value)
    {
        using var batch = _index.CreateBatch();
        batch.PutMeta(key, value.ToByteArray());
        _index.Write(batch);
    }

    private bool TryRead<T>(byte[] key, MessageParser<T> parser, out T record) where T : IMessage<T>
    {
        record = default!;
        if (!_index.Meta.TryGet(key, out var bytes))
            return false;
        record = Parse(key, bytes, parser);
        return true;
    }

    private List<T> Scan<T>(byte[] prefix, MessageParser<T> parser) where T : IMessage<T>
    {
        var list = new List<T>();
        foreach (var (key, value) in _index.Meta.ScanPrefix(prefix))
            list.Add(Parse(key, value, parser));
        return list;
    }

    private static T Parse<T>(byte[] key, byte[] bytes, MessageParser<T> parser) where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new IndexCorruptException($"registry record '{Encoding.UTF8.GetString(key)}' does not parse: {e.Message}");
        }
    }
}

/// <summary>The named tenant, repository or token already exists.</summary>
public sealed class RegistryConflictException(string message) : InvalidOperationException(message);

/// <summary>The named tenant, repository or token does not exist (or is not the caller's to see).</summary>
public sealed class RegistryNotFoundException(string message) : KeyNotFoundException(message);
