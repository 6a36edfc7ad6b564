namespace Bunker.Server.Stores;

/// <summary>
/// One named store in bunkerd's configuration (<c>Stores:NAME</c>). <see cref="Type"/> says which settings apply:
/// <list type="bullet">
/// <item><c>local</c>: <see cref="Path"/>, a directory holding one folder per TENANT/REPOSITORY;</item>
/// <item><c>s3</c>: <see cref="Endpoint"/>, <see cref="Region"/>, <see cref="Bucket"/>, <see cref="Prefix"/>, credentials and retry bounds;</item>
/// <item><c>fallback</c>: <see cref="Members"/>, other stores in order, the primary first;</item>
/// <item><c>tiered</c>: <see cref="Hot"/> and <see cref="Cold"/> stores and when packs move between them, with an optional read cache.</item>
/// </list>
/// </summary>
public sealed class StoreSettings
{
    public string Type { get; set; } = "";

    // local
    public string? Path { get; set; }

    // s3
    public string? Endpoint { get; set; }
    public string Region { get; set; } = "us-east-1";
    public string? Bucket { get; set; }
    public string Prefix { get; set; } = "";
    public string? AccessKey { get; set; }
    public string? SecretKey { get; set; }
    public string? SessionToken { get; set; }
    public bool PathStyle { get; set; } = true;
    public int MaxAttempts { get; set; } = 6;
    public double AttemptTimeoutSeconds { get; set; } = 60;
    public double TotalTimeoutSeconds { get; set; } = 120;
    public int PartSizeMiB { get; set; } = 16;
    public int MultipartThresholdMiB { get; set; } = 64;

    // fallback
    public List<string> Members { get; set; } = [];
    public int FailedProbesToDegrade { get; set; } = 2;
    public int GoodProbesToRecover { get; set; } = 3;
    public double RecoverAfterSeconds { get; set; } = 30;

    // tiered
    public string? Hot { get; set; }
    public string? Cold { get; set; }
    public double? MoveAfterHours { get; set; }
    public double? MoveUnreadAfterHours { get; set; }
    public long? HotMaxBytes { get; set; }
    public string? CacheDirectory { get; set; }
    public long CacheMaxBytes { get; set; } = 1L << 30;
}
