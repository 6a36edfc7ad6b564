namespace Bunker.Storage.Stores.S3;

/// <summary>Where and how to reach one S3-compatible bucket, and how hard to try when it misbehaves.</summary>
public sealed record S3BucketOptions
{
    /// <summary>The store's name, recorded as the location of what it holds.</summary>
    public required string Name { get; init; }
    /// <summary>A custom endpoint (MinIO, Ceph RGW, Wasabi, Backblaze, s3rver); null for AWS itself, found from <see cref="Region"/>.</summary>
    public Uri? Endpoint { get; init; }
    public string Region { get; init; } = "us-east-1";
    public required string Bucket { get; init; }
    /// <summary>Key prefix under which this bunkerd keeps its repositories ("" or ending in '/').</summary>
    public string Prefix { get; init; } = "";
    /// <summary>Credentials; when absent, the SDK's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles).</summary>
    public string? AccessKey { get; init; }
    public string? SecretKey { get; init; }
    public string? SessionToken { get; init; }
    /// <summary>Path-style addressing (endpoint/bucket/key), which every S3 look-alike understands.</summary>
    public bool PathStyle { get; init; } = true;
    /// <summary>Objects larger than this go up in parts (multipart upload); smaller ones in one PUT.</summary>
    public int MultipartThreshold { get; init; } = 64 << 20;
    public int PartSize { get; init; } = 16 << 20;
    /// <summary>Attempts per request, the first included.</summary>
    public int MaxAttempts { get; init; } = 6;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>One attempt's limit: a request that hangs is abandoned and tried again.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>A request's whole budget, retries and waits included; past it the store is unavailable.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Bucket)) throw new ArgumentException($"store '{Name}': Bucket is required");
        if (Endpoint is { } endpoint && endpoint.Scheme is not ("http" or "https"))
            throw new ArgumentException($"store '{Name}': Endpoint must be an http:// or https:// URL");
        if (Prefix.Length > 0 && (!Prefix.EndsWith('/') || Prefix.StartsWith('/') || Prefix.Contains("//", StringComparison.Ordinal)))
            throw new ArgumentException($"store '{Name}': Prefix must be empty or like 'site-a/' (no leading '/', ending in '/')");
        if ((AccessKey is null) != (SecretKey is null)) throw new ArgumentException($"store '{Name}': give both AccessKey and SecretKey, or neither");
        if (PartSize < 5 << 20) throw new ArgumentException($"store '{Name}': PartSize must be at least 5 MiB (S3's smallest part)");
        if (MultipartThreshold < PartSize) throw new ArgumentException($"store '{Name}': MultipartThreshold must be at least PartSize");
        if (MaxAttempts is < 1 or > 100) throw new ArgumentException($"store '{Name}': MaxAttempts must be 1 to 100");
        if (AttemptTimeout <= TimeSpan.Zero || TotalTimeout < AttemptTimeout)
            throw new ArgumentException($"store '{Name}': AttemptTimeout must be positive and TotalTimeout at least AttemptTimeout");
    }
}
